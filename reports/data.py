"""Read what the pages show: one query per mart for every station at once (reports/queries/),
then split by station or bureau in Polars, so 700 station pages cost 20 queries, not 14,000.

A query whose mart is missing (an older warehouse, or a mart still being built by others) gives
an empty frame, and the page shows that section as empty rather than failing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

log = logging.getLogger(__name__)
QUERIES_DIR = Path(__file__).parent / "queries"
TOP_N = 10
# the queries of a day's briefing: name -> extra parameters besides $as_of_date
DAY_QUERIES: dict[str, dict] = {
    "trends": {},
    "daily_counts": {},
    "day_cases": {},
    "scorecard": {},
    "kpis": {},
    "segments": {"top_n": TOP_N},
    "places": {"top_n": TOP_N},
    "time_profile": {},
    "top_periods": {},
    "hot_cells": {},
    "grid_frames": {},
    "alerts": {},
    "alignment": {},
    "team_alignment": {},
    "patrol_plan": {},
    "forecast": {},
    "communities": None,
    "stations": None,
}


@cache
def query_sql(name: str) -> str:
    """The SQL of reports/queries/<name>.sql."""
    return (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run_query(con: duckdb.DuckDBPyConnection, name: str, params: dict | None) -> pl.DataFrame:
    """A query's rows; an empty frame when a table it reads does not exist."""
    try:
        return con.sql(query_sql(name), params=params).pl()
    except duckdb.CatalogException as error:
        log.warning("query %s skipped: %s", name, str(error).splitlines()[0])
        return pl.DataFrame()


@dataclass
class Frames:
    """Named frames with cached splits by a key column: `part("trends", "scope_id", id)`."""

    frames: dict[str, pl.DataFrame]
    _splits: dict = field(default_factory=dict, repr=False)

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.frames.get(name, pl.DataFrame())

    def part(self, name: str, key: str, value: str) -> pl.DataFrame:
        """The rows of frame `name` whose `key` equals `value` (empty when none)."""
        frame = self[name]
        if key not in frame.columns:
            return frame.clear()
        if (name, key) not in self._splits:
            self._splits[name, key] = {
                k[0]: part for k, part in frame.partition_by(key, as_dict=True).items()
            }
        return self._splits[name, key].get(value, frame.clear())

    def scoped(self, name: str, scope: str, scope_id: str) -> pl.DataFrame:
        """Rows of a frame with scope/scope_id columns (trends, counts, profiles, periods)."""
        rows = self.part(name, "scope_id", scope_id)
        return rows.filter(pl.col("scope") == scope) if rows.height else rows


def read_day(con: duckdb.DuckDBPyConnection, as_of: date) -> Frames:
    """Every frame a day's briefing pages show, for all stations and bureaus."""
    frames = {}
    for name, extra in DAY_QUERIES.items():
        params = None if extra is None else {"as_of_date": as_of, **extra}
        frames[name] = run_query(con, name, params)
    return Frames(frames)
