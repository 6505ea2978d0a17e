"""Run the SQL models in transforms/{staging,intermediate,marts} against the warehouse.

A model is one `.sql` file holding one SELECT. Its header comment states its grain and how it
is stored:
- `-- materialized: table`: rebuilt whole on every run (staging and intermediate);
- `-- materialized: incremental`: the rows for `$as_of_date` are replaced (marts keep history).
Models run in dependency order (a model depends on every other model whose name it mentions),
all in one transaction: a run killed half-way leaves the warehouse as it was.
Parameters are DuckDB named parameters (`$as_of_date`, ...), bound from `model_parameters`.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import date
from functools import cache
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from beatbrief.config import Settings
from transforms import warehouse

log = logging.getLogger(__name__)
MODELS_DIR = Path(__file__).parent
LAYERS = ("staging", "intermediate", "marts")
_MATERIALIZED = re.compile(r"^--\s*materialized:\s*(table|incremental)\s*$", re.MULTILINE)
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

    @property
    def parameters(self) -> set[str]:
        """Named parameters the SQL uses (comments are not scanned)."""
        return set(_PARAMETER.findall(_COMMENT.sub("", self.sql)))


def load_model(path: Path) -> Model:
    """Read a model file and its header."""
    sql = path.read_text(encoding="utf-8").strip().rstrip(";")
    found = _MATERIALIZED.search(sql)
    if found is None:
        raise ValueError(f"{path}: header lacks '-- materialized: table|incremental'")
    return Model(path.stem, path.parent.name, path, sql, found.group(1))


@cache
def discover_models(root: Path = MODELS_DIR) -> tuple[Model, ...]:
    """All models, in dependency order."""
    models = {
        m.name: m for layer in LAYERS for m in map(load_model, sorted((root / layer).glob("*.sql")))
    }
    graph = {
        name: {other for other in models if other != name and re.search(rf"\b{other}\b", m.sql)}
        for name, m in models.items()
    }
    for name, deps in graph.items():
        for dep in deps:
            if LAYERS.index(models[dep].layer) > LAYERS.index(models[name].layer):
                raise ValueError(f"{name} ({models[name].layer}) reads the later layer's {dep}")
    order = {name: i for i, name in enumerate(TopologicalSorter(graph).static_order())}
    # layer by layer (staging, then intermediate, then marts), dependencies first within each
    return tuple(sorted(models.values(), key=lambda m: (LAYERS.index(m.layer), order[m.name])))


def model_parameters(settings: Settings, as_of: date) -> dict:
    """Values for every named parameter a model may use; each is a documented setting."""
    return {
        "as_of_date": as_of,
        "window_days": settings.hotspot_window_days,
        "aoristic_max_hours": settings.aoristic_max_window_hours,
        "cell_m": settings.grid_cell_m,
        "hotspot_fdr": settings.hotspot_fdr,
        "baseline_weeks": settings.baseline_weeks,
        "top_periods": settings.top_time_periods,
        "block_hours": settings.time_block_hours,
        "significance_z": settings.trend_significance_z,
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
    con.execute(
        f"delete from {model.name} where as_of_date = $as_of_date",
        {"as_of_date": bound["as_of_date"]},
    )
    con.execute(f"insert into {model.name} by name {model.sql}", bound)


def build_models(settings: Settings, as_of: date, models: tuple[Model, ...] | None = None) -> dict:
    """Build every model for the day in one transaction; return rows and seconds per model."""
    params = model_parameters(settings, as_of)
    built = {}
    with warehouse.connect(settings) as con:
        con.begin()
        try:
            for model in models or discover_models():
                started = time.perf_counter()
                try:
                    run_model(con, model, params)
                except duckdb.Error as error:
                    raise ModelError(f"{model.path}: {error}") from error
                rows = con.execute(
                    f"select count(*) from {model.name}"
                    + (" where as_of_date = $d" if model.materialized == "incremental" else ""),
                    {"d": as_of} if model.materialized == "incremental" else {},
                ).fetchall()[0][0]
                built[model.name] = {
                    "rows": rows,
                    "seconds": round(time.perf_counter() - started, 3),
                }
                log.info(
                    "built %s: %d rows in %.2f s", model.name, rows, built[model.name]["seconds"]
                )
        except Exception:
            con.rollback()
            raise
        con.commit()
    return built
