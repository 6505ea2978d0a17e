"""Run the SQL models in transforms/{staging,intermediate,marts} against the warehouse.

A model is one `.sql` file holding one SELECT. Its header comment states its grain, its key
and how it is stored:
- `-- key: <column>, ...`: the columns that are unique and never null at the grain (an
  incremental model's key includes as_of_date; tests/transforms/test_grain.py checks them);
- `-- materialized: table`: rebuilt whole on every run (staging and intermediate);
- `-- materialized: incremental`: the rows for `$as_of_date` are replaced (marts keep history).
Models run in dependency order, all in one transaction: a run killed half-way leaves the
warehouse as it was. A model's inputs are the tables its SELECT reads, as sqlglot parses it
(DuckDB dialect): its own CTEs, table functions and comments do not count. Every input must be
another model of the same or an earlier layer, or a warehouse table (a feed's raw or accepted
table, a system table of transforms/system/).
Parameters are DuckDB named parameters (`$as_of_date`, ...), bound from `model_parameters`.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from beatbrief.config import Settings
from beatbrief.feeds import FEED_NAMES
from transforms import warehouse

log = logging.getLogger(__name__)
MODELS_DIR = Path(__file__).parent
QUERIES_DIR = MODELS_DIR / "queries"
PINGS_MODEL = "stg_patrol_pings"
LAYERS = ("staging", "intermediate", "marts")
_MATERIALIZED = re.compile(r"^--\s*materialized:\s*(table|incremental)\s*$", re.MULTILINE)
_KEY = re.compile(r"^--\s*key:\s*(.*?)\s*$", re.MULTILINE)
_COLUMN = re.compile(r"[a-z_][a-z0-9_]*")
_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


class ModelError(RuntimeError):
    """A model failed to build; names the model's file."""


@dataclass(frozen=True)
class Model:
    """One SQL model file."""

    name: str
    layer: str
    path: Path
    sql: str
    materialized: str
    key: tuple[str, ...]

    @property
    def parameters(self) -> set[str]:
        """Named parameters the SQL uses (comments are not scanned)."""
        return set(_PARAMETER.findall(_COMMENT.sub("", self.sql)))

    @cached_property
    def inputs(self) -> frozenset[str]:
        """Names of the tables the SQL reads (parsed once)."""
        try:
            return referenced_tables(self.sql)
        except ValueError as error:
            raise ValueError(f"{self.path}: {error}") from error


def referenced_tables(sql: str) -> frozenset[str]:
    """Tables one DuckDB statement reads, as sqlglot parses it: its own CTEs, table functions
    (range, unnest, read_parquet, ...) and anything in a comment do not count."""
    try:
        statements = [s for s in sqlglot.parse(sql, dialect="duckdb") if s is not None]
    except SqlglotError as error:
        raise ValueError(f"sqlglot cannot parse the SQL: {error}") from error
    if len(statements) != 1:
        raise ValueError(f"expected one statement, found {len(statements)}")
    tree = statements[0]
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    tables = {t.name for t in tree.find_all(exp.Table) if isinstance(t.this, exp.Identifier)}
    return frozenset(tables - ctes)


@cache
def warehouse_tables() -> frozenset[str]:
    """Tables of the warehouse that are not models: each feed's raw and accepted table, and the
    system tables transforms/system/*.sql creates."""
    feeds = {
        name(feed)
        for feed in FEED_NAMES
        for name in (warehouse.raw_table, warehouse.accepted_table)
    }
    system = {
        statement.find(exp.Table).name
        for path in sorted(warehouse.SYSTEM_SQL_DIR.glob("*.sql"))
        for statement in sqlglot.parse(path.read_text(encoding="utf-8"), dialect="duckdb")
        if isinstance(statement, exp.Create) and statement.kind == "TABLE"
    }
    return frozenset(feeds | system)


def load_model(path: Path) -> Model:
    """Read a model file and its header."""
    sql = path.read_text(encoding="utf-8").strip().rstrip(";")
    found = _MATERIALIZED.search(sql)
    if found is None:
        raise ValueError(f"{path}: header lacks '-- materialized: table|incremental'")
    key = _KEY.search(sql)
    if key is None:
        raise ValueError(f"{path}: header lacks '-- key: <column>, ...'")
    columns = tuple(column.strip() for column in key.group(1).split(","))
    if not all(_COLUMN.fullmatch(column) for column in columns):
        raise ValueError(f"{path}: key {key.group(1)!r} is not a list of column names")
    if found.group(1) == "incremental" and "as_of_date" not in columns:
        raise ValueError(f"{path}: an incremental model's key must include as_of_date")
    return Model(path.stem, path.parent.name, path, sql, found.group(1), columns)


@cache
def discover_models(root: Path = MODELS_DIR) -> tuple[Model, ...]:
    """All models, in dependency order; a model reading an unknown table or a later layer's
    model is a ValueError."""
    models = {
        m.name: m for layer in LAYERS for m in map(load_model, sorted((root / layer).glob("*.sql")))
    }
    known = warehouse_tables()
    for model in models.values():
        unknown = model.inputs - models.keys() - known
        if unknown:
            raise ValueError(f"{model.path}: reads unknown table(s) {sorted(unknown)}")
    # sorted, so the build order is the same in every process (sets iterate by hash)
    graph = {name: sorted(m.inputs & models.keys() - {name}) for name, m in models.items()}
    for name, deps in graph.items():
        for dep in deps:
            if LAYERS.index(models[dep].layer) > LAYERS.index(models[name].layer):
                raise ValueError(f"{name} ({models[name].layer}) reads the later layer's {dep}")
    order = {name: i for i, name in enumerate(TopologicalSorter(graph).static_order())}
    # layer by layer (staging, then intermediate, then marts), dependencies first within each
    return tuple(sorted(models.values(), key=lambda m: (LAYERS.index(m.layer), order[m.name])))


def reads_from(models: tuple[Model, ...], root: str) -> set[str]:
    """Names of the models that read `root`, directly or through other models."""
    found = {root}
    for model in models:  # dependency order: a model's inputs are decided before it
        if model.inputs & (found - {model.name}):
            found.add(model.name)
    return found - {root}


def model_parameters(settings: Settings, as_of: date, loaded_through: date | None = None) -> dict:
    """Values for every named parameter a model may use; each is a documented setting.

    `as_of_date` is the day the marts describe; `loaded_through` the last delivery date the
    staging models read (the run's date: later than as_of_date when history is rebuilt)."""
    return {
        "as_of_date": as_of,
        "loaded_through": loaded_through or as_of,
        "window_days": settings.hotspot_window_days,
        "aoristic_max_hours": settings.aoristic_max_window_hours,
        "cell_m": settings.grid_cell_m,
        "hotspot_fdr": settings.hotspot_fdr,
        "baseline_weeks": settings.baseline_weeks,
        "top_periods": settings.top_time_periods,
        "block_hours": settings.time_block_hours,
        "significance_z": settings.trend_significance_z,
        # emerging hotspots, near repeat, forecast accountability
        "emerging_weeks": settings.emerging_weeks,
        "emerging_trend_p": settings.emerging_trend_p,
        "near_repeat_lookback_days": settings.near_repeat_lookback_days,
        "near_repeat_permutations": settings.near_repeat_permutations,
        "near_repeat_seed": settings.near_repeat_seed,
        "near_repeat_min_events": settings.near_repeat_min_events,
        "near_repeat_alpha": settings.near_repeat_alpha,
        "near_repeat_alert_days": settings.near_repeat_alert_days,
        "forecast_top_k": settings.forecast_top_k_cells,
        "forecast_baseline_days": settings.forecast_baseline_days,
        # deployment and policy norms
        "ping_max_gap_s": settings.ping_max_gap_s,
        "ping_max_speed_kmh": settings.ping_max_speed_kmh,
        "visit_minutes": settings.patrol_visit_minutes,
        "hot_class_min": settings.patrol_hot_class_min,
        "misaligned_hot_share": settings.patrol_misaligned_hot_share,
        "misaligned_max_z": settings.patrol_misaligned_max_z,
        "capacity_days": settings.plan_capacity_days,
        "directed_share": settings.plan_directed_share,
        "plan_max_entries": settings.plan_max_entries,
        "plan_max_visit_minutes": settings.plan_max_visit_minutes,
        "alert_bonus_z": settings.plan_alert_bonus_z,
        "officer_norm_urban": settings.officer_norm_urban,
        "officer_norm_town": settings.officer_norm_town,
        "officer_norm_township": settings.officer_norm_township,
        "force_share_norm_county": settings.force_share_norm_county,
        "force_share_norm_urban_district": settings.force_share_norm_urban_district,
        "residents_per_officer_urban": settings.residents_per_officer_urban,
        "residents_per_officer_rural": settings.residents_per_officer_rural,
        "scorecard_window_days": settings.scorecard_window_days,
        "zero_incident_min_days": settings.zero_incident_min_days,
        "repeat_dispute_min": settings.repeat_dispute_min,
        "repeat_dispute_days": settings.repeat_dispute_days,
    }


def run_model(con: duckdb.DuckDBPyConnection, model: Model, params: dict) -> None:
    """Materialize one model."""
    missing = model.parameters - set(params)
    if missing:
        raise KeyError(f"{model.path}: no value for parameter(s) {sorted(missing)}")
    bound = {k: params[k] for k in model.parameters}
    if model.materialized == "table" or not warehouse.table_exists(con, model.name):
        con.execute(f"create or replace table {model.name} as {model.sql}", bound)
        return
    if "as_of_date" not in bound:
        raise ValueError(f"{model.path}: an incremental model must filter on $as_of_date")
    con.execute(f"create or replace temp table _model_rows as {model.sql}", bound)
    try:
        _add_new_columns(con, model)
        con.execute(
            f"delete from {model.name} where as_of_date = $as_of_date",
            {"as_of_date": bound["as_of_date"]},
        )
        con.execute(f"insert into {model.name} by name select * from _model_rows")
    finally:
        con.execute("drop table if exists _model_rows")


def _add_new_columns(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Give an incremental model's table the columns a newer version of its SQL adds (earlier
    days hold null there), so a warehouse keeps its history across upgrades."""
    existing = {row[0] for row in con.execute(f"describe {model.name}").fetchall()}
    added = [
        (name, kind)
        for name, kind, *_ in con.execute("describe _model_rows").fetchall()
        if name not in existing
    ]
    for name, kind in added:
        con.execute(f'alter table {model.name} add column "{name}" {kind}')
    if added:
        log.info(
            "%s: added columns %s; days built before hold null there",
            model.name,
            ", ".join(name for name, _ in added),
        )


def build_models(settings: Settings, as_of: date, models: tuple[Model, ...] | None = None) -> dict:
    """Build every model for the day in one transaction, and rebuild the intermediate and mart
    models of earlier days that a late-arriving case made stale; return what was built."""
    models = models or discover_models()
    staging = [m for m in models if m.layer == "staging"]
    derived = [m for m in models if m.layer != "staging"]
    built: dict = {}
    with warehouse.connect(settings) as con:
        con.begin()
        try:
            params = model_parameters(settings, as_of)
            _build(con, staging, params, built)
            stale = stale_dates(con, settings, as_of)
            # a late case changes no patrol data: stale days skip the (costly) ping models
            pings = reads_from(models, PINGS_MODEL)
            case_models = [m for m in derived if m.name not in pings]
            for day in [*stale, as_of]:
                _build(
                    con,
                    derived if day == as_of else case_models,
                    model_parameters(settings, day, loaded_through=as_of),
                    built if day == as_of else {},
                )
                con.execute("insert or replace into mart_builds values (?, ?)", [day, as_of])
        except ModelError as error:
            con.rollback()
            suspects = suspect_rows(con)
            if suspects:
                raise ModelError(f"{error}; rows the models cannot take: {suspects}") from error
            raise
        except Exception:
            con.rollback()
            raise
        con.commit()
    if stale:
        log.info("rebuilt the marts of %s for late-arriving cases", [d.isoformat() for d in stale])
    return {"models": built, "rebuilt_dates": [d.isoformat() for d in stale]}


def suspect_rows(con: duckdb.DuckDBPyConnection, limit: int = 5) -> str:
    """Accepted rows holding a value no model can take (a non-finite float), as
    `table.column at file:line`; validation quarantines these, so this names rows accepted
    before a rule existed."""
    from beatbrief.feeds import all_schemas

    found = []
    for schema in all_schemas():
        table = warehouse.accepted_table(schema.feed)
        for column in (c.name for c in schema.columns if c.type == "float"):
            rows = con.execute(
                f'select _file_path, _line_number from {table} where not isfinite("{column}") '
                "order by all limit ?",
                [limit],
            ).fetchall()
            found += [f"{table}.{column} at {path}:{line}" for path, line in rows]
    return "; ".join(found[:limit])


def stale_dates(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: date) -> list[date]:
    """Earlier days whose marts a late-arriving case has made stale (queries/stale_mart_dates)."""
    sql = (QUERIES_DIR / "stale_mart_dates.sql").read_text(encoding="utf-8")
    rows = con.execute(
        sql,
        {
            "as_of_date": as_of,
            "loaded_through": as_of,
            "lookback_days": settings.recompute_lookback_days,
        },
    ).fetchall()
    return [row[0] for row in rows]


def _build(con, models: list[Model], params: dict, built: dict) -> None:
    """Materialize models in order, recording rows and seconds of each in `built`."""
    day = params["as_of_date"]
    for model in models:
        started = time.perf_counter()
        try:
            run_model(con, model, params)
        except duckdb.Error as error:
            where = f"{model.layer}/{model.path.name}"
            raise ModelError(f"model {model.name} ({where}): {error}") from error
        incremental = model.materialized == "incremental"
        where = " where as_of_date = $d" if incremental else ""
        rows = con.execute(
            f"select count(*) from {model.name}{where}", {"d": day} if incremental else {}
        ).fetchall()[0][0]
        built[model.name] = {"rows": rows, "seconds": round(time.perf_counter() - started, 3)}
        log.info(
            "built %s for %s: %d rows in %.2f s",
            model.name,
            day,
            rows,
            built[model.name]["seconds"],
        )
