"""The DuckDB warehouse: connections, system tables, and the per-feed raw and accepted tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from beatbrief.config import MEMORY_LIMIT, Settings
from beatbrief.feeds import FEED_NAMES, load_schema

SYSTEM_SQL_DIR = Path(__file__).parent / "system"
MACROS_DIR = Path(__file__).parent / "macros"
# contract type -> DuckDB type of the accepted tables
DUCKDB_TYPES = {
    "string": "varchar",
    "integer": "bigint",
    "float": "double",
    "timestamp": "timestamp",
    "date": "date",
    "boolean": "boolean",
}
RAW_META = (
    ("_file_path", "varchar"),
    ("_line_number", "bigint"),
    ("_raw_record", "varchar"),
    ("_malformed", "varchar"),
    ("_missing_required", "varchar"),
    ("_missing_optional", "varchar"),
    ("_extra_columns", "varchar"),
    ("_partition_date", "date"),
    ("_batch_id", "varchar"),
)
ACCEPTED_META = (
    ("_file_path", "varchar"),
    ("_line_number", "bigint"),
    ("_partition_date", "date"),
    ("_batch_id", "varchar"),
    ("_row_hash", "varchar"),
)


def raw_table(feed: str) -> str:
    """Name of the feed's raw table (text as landed, pending validation)."""
    return f"raw_{_known(feed)}"


def accepted_table(feed: str) -> str:
    """Name of the feed's accepted table (typed rows that passed validation, PII included)."""
    return f"accepted_{_known(feed)}"


def _known(feed: str) -> str:
    """Guard: table names are only ever built from the fixed list of feeds."""
    if feed not in FEED_NAMES:
        raise ValueError(f"unknown feed {feed!r}; expected one of {FEED_NAMES}")
    return feed


def open_connection(path: Path | str, settings: Settings) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the project's limits and the system tables in place."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        str(path),
        config={
            "threads": settings.duckdb_threads,
            "memory_limit": settings.duckdb_memory_limit,
        },
    )
    con.execute("set enable_progress_bar = false")
    for ddl in [*sorted(SYSTEM_SQL_DIR.glob("*.sql")), *sorted(MACROS_DIR.glob("*.sql"))]:
        con.execute(ddl.read_text(encoding="utf-8"))
    ensure_feed_tables(con)
    return con


def ensure_feed_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create each feed's raw (all text) and accepted (typed) tables from its contract."""
    for feed in FEED_NAMES:
        schema = load_schema(feed)
        raw_columns = [(c.name, "varchar") for c in schema.columns] + list(RAW_META)
        typed_columns = [(c.name, DUCKDB_TYPES[c.type]) for c in schema.columns] + list(
            ACCEPTED_META
        )
        for table, columns in (
            (raw_table(feed), raw_columns),
            (accepted_table(feed), typed_columns),
        ):
            # identifiers come from the fixed feed list and contract names, never from input
            body = ", ".join(f'"{name}" {kind}' for name, kind in columns)
            con.execute(f"create table if not exists {table} ({body})")


@contextmanager
def connect(
    settings: Settings, memory_limit: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse file under HOME, closing it afterwards; `memory_limit` overrides the
    setting (ingest and validation hold a chunk in Python beside DuckDB)."""
    con = open_connection(settings.warehouse_path, settings)
    try:
        if memory_limit:
            if not MEMORY_LIMIT.fullmatch(memory_limit):  # SET takes no parameters: check the text
                raise ValueError(f"memory limit {memory_limit!r}: expected e.g. 2GB or 512MiB")
            con.execute(f"set memory_limit = '{memory_limit}'")
        yield con
    finally:
        con.close()


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table of that name exists in the main schema."""
    rows = con.execute(
        "select count(*) from information_schema.tables where table_name = ?", [name]
    ).fetchall()
    return bool(rows[0][0])


def append_frame(con: duckdb.DuckDBPyConnection, table: str, frame) -> None:
    """Append a Polars/Arrow frame to a table, creating it from the frame's schema if absent."""
    con.register("_append_frame", frame)
    try:
        con.execute(f"insert into {table} by name select * from _append_frame")
    finally:
        con.unregister("_append_frame")
