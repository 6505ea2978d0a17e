"""The province layer: province marts built from the bureau warehouses, read-only.

Each bureau's warehouse stays the one source of its figures. The province file attaches every
bureau warehouse that exists read-only and sees, for each table in BUREAU_TABLES, a view
`bureau_<table>`: the bureaus' rows stacked, with `bureau_key` naming the bureau each came
from. The models of transforms/province/marts/ read those views and the routing tables, and
keep their rows per day (incremental, as the bureau marts do). A bureau without a warehouse
(it failed before anything was loaded) simply has no rows: mart_province_quality names it
'missing'.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from beatbrief.config import Settings
from beatbrief.feeds import FEED_NAMES
from transforms.route import known_bureaus, province_connect
from transforms.runner import load_model, run_model

log = logging.getLogger(__name__)
PROVINCE_MODELS_DIR = Path(__file__).parent / "province" / "marts"
# bureau tables the province models read
BUREAU_TABLES = (
    "mart_kpis",
    "mart_case_series",
    "feed_status",
    "mart_builds",
    "dim_stations",
    "load_manifest",
)


class ProvinceError(RuntimeError):
    """The province layer cannot be built (no bureau has built its marts)."""


def province_models() -> list:
    """The province models, in file-name order after mart_province_quality (which the league
    reads)."""
    models = [load_model(path) for path in sorted(PROVINCE_MODELS_DIR.glob("*.sql"))]
    return sorted(models, key=lambda m: (m.name != "mart_province_quality", m.name))


def province_parameters(as_of: date) -> dict:
    """The values of the province models' parameters."""
    return {"as_of_date": as_of, "feed_count": len(FEED_NAMES)}


def build_province(settings: Settings, as_of: date) -> dict:
    """Build the province marts for the day from the bureau warehouses; return what was built
    and which bureaus were read."""
    bureaus = known_bureaus(settings)
    with province_connect(settings) as con:
        attached = _attach(con, settings, bureaus)
        params = province_parameters(as_of)
        built = []
        for model in province_models():
            run_model(con, model, params)
            built.append(model.name)
        for alias in attached.values():
            con.execute(f"detach {alias}")
    log.info("province: %d models from %d of %d bureaus", len(built), len(attached), len(bureaus))
    return {"models": built, "bureaus": len(bureaus), "bureaus_read": len(attached)}


def _attach(con, settings: Settings, bureaus: list[str]) -> dict[str, str]:
    """Attach each bureau warehouse that exists, read-only, and make the bureau_<table> views;
    return bureau -> alias."""
    attached = {}
    for i, bureau in enumerate(bureaus):
        path = settings.for_bureau(bureau).warehouse_path
        if path.exists():
            alias = f"bureau_{i}"
            con.execute(f"attach '{path}' as {alias} (read_only)")  # path: HOME and a safe id
            attached[bureau] = alias
    for table in BUREAU_TABLES:
        parts = [
            f"select '{bureau}' as bureau_key, * from {alias}.{table}"
            for bureau, alias in attached.items()
            if con.execute(
                "select count(*) from duckdb_tables() where database_name = ? and table_name = ?",
                [alias, table],
            ).fetchone()[0]
        ]
        if not parts:
            raise ProvinceError(
                f"no bureau warehouse holds {table} yet (bureaus: {', '.join(bureaus) or 'none'})"
                ": no bureau has built its marts, so there is no province to roll up"
            )
        union = " union all by name ".join(parts)
        con.execute(f"create or replace temp view bureau_{table} as {union}")
    return attached
