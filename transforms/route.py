"""Route: the province's landed files, read once and streamed, split by bureau.

A provincial feed holds many bureaus' rows in one file. Before any bureau works on its day,
each landed file of a feed is read batch by batch (`ingest_batch_rows`, so memory is set by the
batch and not by the file) and every row goes to the bureau whose station it names:

- stations by their own `bureau_id`; communities, cases, road segments, patrol shifts and pings
  by `station_id`; population by `community_id` (community -> station -> bureau);
- the maps come from the reference deliveries routed so far (the latest delivery that names a
  station or community wins), kept in the province file (`route_stations`,
  `route_communities`), so that a day without a new reference still routes;
- a bureau's share of a file lands under HOME/bureaus/<bureau_id>/landing/<feed>/<date>/ as
  `<file name>.routed.parquet` (the raw text rows, with the original file path and line of
  each) and `<file name>.routed.json` (the original file's facts and the share's row count);
  the bureau's ingest loads that pair as if it were the landed file, so its quarantine and
  quality pages still name the original file and line;
- a row that names no known station (or community) cannot be placed: it goes to the province's
  `quarantine` with the rule `route_station_known`, and nothing is lost: per landed file,
  rows read = rows unroutable + the rows of each bureau's share (`route_shares`), and each
  bureau accounts for its share as accepted, quarantined or duplicate;
- an unreadable file, or one without the column it is routed by, is rejected as a whole: its
  `route_manifest` row says why, and every known bureau gets a rejected share, so that each
  bureau's validation fails the feed naming the file, as it does for a file landed to it.

The province file has one writer: the route tasks run one after another, before any bureau.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from beatbrief.config import SAFE_ID, Settings
from beatbrief.feeds import FeedSchema, load_schema
from transforms import warehouse
from transforms.ingest import ROUTED_SUFFIX, SHARE_SUFFIX, LandedFile, discover, keyed_error
from transforms.readers import META_COLUMNS, FeedFileError, iter_file, parquet_raw_records

log = logging.getLogger(__name__)

PROVINCE_SQL_DIR = Path(__file__).parent / "province" / "system"
UNROUTED_RULE = "route_station_known"
UNSAFE_BUREAU_RULE = "route_bureau_id_safe"
# a damaged record whose routing column could not be read either
MALFORMED_RULE = "route_record_readable"
# feed -> the column its rows are routed by
ROUTE_COLUMN = {
    "stations": "bureau_id",
    "communities": "station_id",
    "road_segments": "station_id",
    "population": "community_id",
    "cases": "station_id",
    "patrol_shifts": "station_id",
    "patrol_pings": "station_id",
}
_BUREAU = "_bureau"
_REASON = "_route_rule"


@contextmanager
def province_connect(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the province's DuckDB file with its routing tables in place; close it after."""
    path = settings.province_path
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        str(path),
        config={"threads": settings.duckdb_threads, "memory_limit": settings.load_memory_limit},
    )
    try:
        con.execute("set enable_progress_bar = false")
        # the province's quarantine has the bureaus' layout: the same DDL file
        for ddl in [
            warehouse.SYSTEM_SQL_DIR / "quarantine.sql",
            *sorted(PROVINCE_SQL_DIR.glob("*.sql")),
            *sorted(warehouse.MACROS_DIR.glob("*.sql")),
        ]:
            con.execute(ddl.read_text(encoding="utf-8"))
        yield con
    finally:
        con.close()


def known_bureaus(settings: Settings) -> list[str]:
    """Every bureau the routed station references name, sorted."""
    if not settings.province_path.exists():
        return []
    with province_connect(settings) as con:
        return _bureaus(con)


def route_feed(settings: Settings, feed: str, as_of: date) -> dict:
    """Route the feed's landed files (partitions up to `as_of`) not yet routed to the bureaus;
    return the files, rows and bureaus routed."""
    schema = load_schema(feed)
    landed = discover(settings, feed, as_of)
    with province_connect(settings) as con:
        seen = set(
            con.execute(
                "select file_path, file_sha256 from route_manifest where feed = ?", [feed]
            ).fetchall()
        )
        new = [f for f in landed if (f.key, f.sha256) not in seen]
        _drop_partial(con, feed)
        totals = {"feed": feed, "files": len(new), "rows_read": 0, "rows_unrouted": 0}
        bureaus: set[str] = set()
        for landed_file in new:
            routed = _route_file(con, settings, schema, landed_file)
            totals["rows_read"] += routed.rows
            totals["rows_unrouted"] += routed.unrouted
            bureaus |= set(routed.shares)
    totals["bureaus"] = len(bureaus)
    log.info(
        "%s: routed %d rows of %d files to %d bureaus (%d unroutable)",
        feed,
        totals["rows_read"],
        len(new),
        len(bureaus),
        totals["rows_unrouted"],
    )
    return totals


@dataclass
class _Routed:
    """What routing one file did."""

    rows: int = 0
    unrouted: int = 0
    shares: dict[str, int] = field(default_factory=dict)


def _route_file(con, settings: Settings, schema: FeedSchema, landed: LandedFile) -> _Routed:
    """Split one landed file into its bureaus' shares and record it in `route_manifest`."""
    routed = _Routed()
    writers = _ShareWriters(settings, schema, landed)
    key = ROUTE_COLUMN[schema.feed]
    try:
        batches = iter_file(landed.path, schema, settings.ingest_batch_rows)
        for batch in batches:
            if batch.height and batch["_missing_required"][0] is not None:
                missing = batch["_missing_required"][0].split(",")
                if key in missing:
                    raise FeedFileError(
                        f"{landed.path}: required column {key} is missing, so its rows cannot "
                        "be routed to their bureaus"
                    )
            placed = _place(
                con, schema.feed, batch.with_columns(pl.lit(landed.key).alias("_file_path"))
            )
            routed.rows += placed.height
            unrouted = placed.filter(pl.col(_BUREAU).is_null())
            if unrouted.height:
                _quarantine(con, schema.feed, landed, unrouted)
                routed.unrouted += unrouted.height
            for (bureau,), share in (
                placed.filter(pl.col(_BUREAU).is_not_null())
                .partition_by(_BUREAU, as_dict=True)
                .items()
            ):
                writers.write(bureau, share.drop(_BUREAU, _REASON))
                routed.shares[bureau] = routed.shares.get(bureau, 0) + share.height
            if schema.feed in ("stations", "communities"):
                _update_map(con, schema.feed, batch)
            del batch, placed
        facts = {"file_format": batches.file_format, "encoding": batches.encoding}
        writers.close(facts | {"status": "read", "error": None}, routed.shares)
        _manifest(con, landed, facts, routed, "routed", None)
    except FeedFileError as error:
        writers.abort()
        _drop_partial(con, schema.feed, landed.key)
        log.error("%s", error)
        routed, reason = _Routed(), keyed_error(error, landed)
        writers.reject(_bureaus(con), reason)
        _manifest(con, landed, {"file_format": None, "encoding": None}, routed, "rejected", reason)
    return routed


def _place(con, feed: str, batch: pl.DataFrame) -> pl.DataFrame:
    """The batch with `_bureau` (null where the row cannot be placed) and the rule why not."""
    key = pl.col(ROUTE_COLUMN[feed]).str.strip_chars()
    if feed == "stations":
        bureau = key
    else:
        lookup = dict(
            con.execute(
                "select community_id, bureau_id from route_communities "
                "inner join route_stations using (station_id)"
                if feed == "population"
                else "select station_id, bureau_id from route_stations"
            ).fetchall()
        )
        bureau = key.replace_strict(lookup, default=None, return_dtype=pl.String)
    safe = bureau.str.contains(f"^(?:{SAFE_ID.pattern})$")
    return batch.with_columns(
        pl.when(safe).then(bureau).otherwise(None).alias(_BUREAU),
        pl.when(bureau.is_null() & pl.col("_malformed").is_not_null())
        .then(pl.lit(MALFORMED_RULE))
        .when(bureau.is_null())
        .then(pl.lit(UNROUTED_RULE))
        .when(~safe)
        .then(pl.lit(UNSAFE_BUREAU_RULE))
        .otherwise(None)
        .alias(_REASON),
    )


def _bureaus(con) -> list[str]:
    """The bureaus the routed station references name."""
    rows = con.execute("select distinct bureau_id from route_stations order by 1").fetchall()
    return [b for (b,) in rows]


def _update_map(con, feed: str, batch: pl.DataFrame) -> None:
    """Keep the latest station -> bureau (or community -> station) of a reference delivery."""
    key, value, table = (
        ("station_id", "bureau_id", "route_stations")
        if feed == "stations"
        else ("community_id", "station_id", "route_communities")
    )
    pairs = (
        batch.select(
            pl.col(key).str.strip_chars().alias(key),
            pl.col(value).str.strip_chars().alias(value),
        )
        .drop_nulls()
        .unique(key, keep="last", maintain_order=True)
    )
    if not pairs.height:
        return
    con.register("_pairs", pairs)
    try:
        con.execute(f"insert or replace into {table} select {key}, {value} from _pairs")
    finally:
        con.unregister("_pairs")


def _quarantine(con, feed: str, landed: LandedFile, rows: pl.DataFrame) -> None:
    """Keep rows that cannot be placed in the province's quarantine, with their raw record."""
    key = ROUTE_COLUMN[feed]
    frame = rows.select(
        "_line_number",
        "_raw_record",
        pl.col(_REASON).alias("rule"),
        pl.when(pl.col(_REASON) == MALFORMED_RULE)
        .then(pl.col("_malformed"))
        .otherwise(pl.format("{}={}", pl.lit(key), pl.col(key).fill_null("(empty)")))
        .alias("detail"),
    )
    if landed.path.suffix == ".parquet":  # the reader leaves Parquet's raw records to be made
        records = parquet_raw_records(landed.path, frame["_line_number"].to_list())
        frame = frame.drop("_raw_record").join(
            records.rename({"raw_record": "_raw_record"}),
            on="_line_number",
            how="left",
            maintain_order="left",
        )
    con.register("_unrouted", frame)
    try:
        con.execute(
            """
            insert into quarantine by name
            select
                $feed as feed, $partition as partition_date, $path as file_path,
                _line_number as line_number, rule, rule as all_rules, 'error' as severity,
                _raw_record as raw_record, 'route' as batch_id, $now as quarantined_at, detail
            from _unrouted
            """,
            {
                "feed": feed,
                "partition": landed.partition_date,
                "path": landed.key,
                "now": datetime.now().replace(microsecond=0),
            },
        )
    finally:
        con.unregister("_unrouted")


def _manifest(con, landed: LandedFile, facts: dict, routed: _Routed, status: str, error) -> None:
    """The file's `route_manifest` row and its bureaus' `route_shares`."""
    con.execute(
        "insert or replace into route_manifest values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            landed.feed,
            landed.partition_date,
            landed.key,
            landed.sha256,
            facts["file_format"],
            facts["encoding"],
            landed.path.stat().st_size,
            routed.rows,
            routed.unrouted,
            status,
            None if error is None else str(error),
            datetime.now().replace(microsecond=0),
        ],
    )
    shares = [[landed.key, landed.sha256, b, n] for b, n in sorted(routed.shares.items())]
    if shares:
        con.executemany("insert or replace into route_shares values (?, ?, ?, ?)", shares)


def _drop_partial(con, feed: str, key: str | None = None) -> None:
    """Remove unroutable rows of files (or of one file) whose routing did not finish."""
    only = "" if key is None else "file_path = $path and "
    con.execute(
        f"delete from quarantine where feed = $feed and {only}file_path not in "
        "(select file_path from route_manifest where feed = $feed)",
        {"feed": feed} | ({} if key is None else {"path": key}),
    )


def share_paths(settings: Settings, bureau: str, landed: LandedFile) -> tuple[Path, Path]:
    """Where a bureau's share of a landed file goes: its rows and its facts."""
    folder = settings.for_bureau(bureau).landing_partition(landed.feed, landed.partition_date)
    return folder / (landed.path.name + ROUTED_SUFFIX), folder / (landed.path.name + SHARE_SUFFIX)


class _ShareWriters:
    """One Parquet writer per bureau with rows in the file, opened at its first row; each share
    becomes visible (renamed into place, facts written last) only when the file is done."""

    def __init__(self, settings: Settings, schema: FeedSchema, landed: LandedFile) -> None:
        import pyarrow as pa

        self.settings, self.landed = settings, landed
        self.columns = [*schema.names, *META_COLUMNS]
        self.arrow = pa.schema(
            [(name, pa.int64() if name == "_line_number" else pa.string()) for name in self.columns]
        )
        self.open: dict[str, object] = {}

    def write(self, bureau: str, rows: pl.DataFrame) -> None:
        import pyarrow.parquet as pq

        if bureau not in self.open:
            path, _ = share_paths(self.settings, bureau, self.landed)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.open[bureau] = pq.ParquetWriter(_tmp(path), self.arrow, compression="zstd")
        self.open[bureau].write_table(rows.select(self.columns).to_arrow().cast(self.arrow))

    def close(self, facts: dict, rows: dict[str, int]) -> None:
        """Put every share in place: rows first, then the facts that make it loadable."""
        for bureau, writer in self.open.items():
            writer.close()
            rows_path, facts_path = share_paths(self.settings, bureau, self.landed)
            os.replace(_tmp(rows_path), rows_path)
            self._facts(facts_path, facts | {"rows": rows[bureau]})
        self.open = {}

    def reject(self, bureaus: list[str], error: str) -> None:
        """A rejected share (no rows) for each bureau, naming why the file was rejected."""
        for bureau in bureaus:
            rows_path, facts_path = share_paths(self.settings, bureau, self.landed)
            facts_path.parent.mkdir(parents=True, exist_ok=True)
            rows_path.unlink(missing_ok=True)
            self._facts(
                facts_path,
                {"file_format": None, "encoding": None, "status": "rejected", "error": error}
                | {"rows": 0},
            )

    def abort(self) -> None:
        """Drop the shares of a file whose reading failed."""
        for bureau, writer in self.open.items():
            writer.close()
            _tmp(share_paths(self.settings, bureau, self.landed)[0]).unlink(missing_ok=True)
        self.open = {}

    def _facts(self, path: Path, facts: dict) -> None:
        landed = self.landed
        record = {
            "source_path": landed.key,
            "source_sha256": landed.sha256,
            "source_bytes": landed.path.stat().st_size,
            "partition_date": landed.partition_date.isoformat(),
        } | facts
        _tmp(path).write_text(json.dumps(record, ensure_ascii=False, sort_keys=True), "utf-8")
        os.replace(_tmp(path), path)


def _tmp(path: Path) -> Path:
    """A hidden name beside path, which discovery skips."""
    return path.with_name(f".{path.name}.tmp")


def unaccounted_files(settings: Settings, bureaus: list[str]) -> list[str]:
    """Landed files whose rows are not all accounted for: rows read must equal the rows
    unroutable plus, over the bureaus, the share's rows accepted, quarantined or duplicate
    (a file with a share still unvalidated is listed too)."""
    with province_connect(settings) as con:
        shares = con.execute(
            "select m.file_path, m.file_sha256, m.rows_read, m.rows_unrouted, s.bureau_id, "
            "s.rows_routed from route_manifest as m left join route_shares as s "
            "using (file_path, file_sha256) where m.status = 'routed'"
        ).fetchall()
    counted = _accounted(settings, bureaus)
    totals: dict[tuple[str, str], list[int]] = {}
    problems = []
    for path, sha, rows_read, unrouted, bureau, routed in shares:
        total = totals.setdefault((path, sha), [rows_read, unrouted])
        if bureau is None:
            continue
        judged = counted.get((bureau, path, sha))
        if judged != routed:
            problems.append(
                f"{path}: bureau {bureau} was routed {routed} rows but accounts for "
                f"{'none' if judged is None else judged}"
            )
        total[1] += routed
    for (path, _), (rows_read, placed) in sorted(totals.items()):
        if rows_read != placed:
            problems.append(f"{path}: {rows_read} rows read but {placed} routed or quarantined")
    return problems


def _accounted(settings: Settings, bureaus: list[str]) -> dict[tuple[str, str, str], int]:
    """(bureau, file, hash) -> the rows of the bureau's share accepted, quarantined or
    duplicate, for shares the bureau has validated."""
    counted = {}
    for bureau in bureaus:
        bureau_settings = settings.for_bureau(bureau)
        if not bureau_settings.warehouse_path.exists():
            continue
        with warehouse.connect(bureau_settings) as con:
            rows = con.execute(
                "select file_path, file_sha256, rows_accepted + rows_quarantined + rows_duplicate "
                "from load_manifest where status in ('validated', 'rejected')"
            ).fetchall()
        counted |= {(bureau, path, sha): n for path, sha, n in rows}
    return counted
