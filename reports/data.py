"""Read what the pages show: one query per section for every station at once
(reports/queries/), then split by station or bureau in Polars, so 700 station pages cost 20
queries, not 14,000.

A query gets exactly the parameters its SQL names (`$as_of_date`, `$top_n`, ...), from one
dict of the page's values. A query whose mart is missing (an older warehouse, or a mart still
being built by others) gives an empty frame, and the page shows that section as empty rather
than failing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

log = logging.getLogger(__name__)
QUERIES_DIR = Path(__file__).parent / "queries"
TOP_N = 10  # the length of the pages' top-N lists (road segments, place types)
_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")


@cache
def query_sql(name: str) -> str:
    """The SQL of reports/queries/<name>.sql."""
    return (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")


@cache
def query_parameters(name: str) -> frozenset[str]:
    """The `$parameters` a query's SQL uses (its comments aside)."""
    return frozenset(_PARAMETER.findall(_COMMENT.sub("", query_sql(name))))


def bind(name: str, values: dict) -> dict | None:
    """The values of the parameters query `name` uses (None when it uses none)."""
    used = query_parameters(name)
    return {key: values[key] for key in sorted(used)} if used else None


def run_query(con: duckdb.DuckDBPyConnection, name: str, values: dict) -> pl.DataFrame:
    """A query's rows; an empty frame when a table it reads does not exist."""
    try:
        return con.sql(query_sql(name), params=bind(name, values)).pl()
    except duckdb.CatalogException as error:
        log.warning("query %s skipped: %s", name, str(error).splitlines()[0])
        return pl.DataFrame()


def fetch_rows(con: duckdb.DuckDBPyConnection, name: str, values: dict) -> list[dict]:
    """A query's rows as dicts of plain Python values (for the small per-day reads)."""
    cursor = con.execute(query_sql(name), bind(name, values))
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class Frames:
    """Named frames with cached splits by a key column: `part("compstat", "scope_id", id)`."""

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


def read_frames(con: duckdb.DuckDBPyConnection, names: Iterable[str], values: dict) -> Frames:
    """The frames of the named queries (each read once), for all stations and bureaus."""
    return Frames({name: run_query(con, name, values) for name in dict.fromkeys(names)})
