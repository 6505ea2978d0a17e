"""Ingest: every landed file up to the logical date that is not yet loaded goes into its feed's
raw table (one batch id per feed and run, streamed file by file), and gets a row in
`load_manifest` keyed by its content hash."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from beatbrief.config import Settings
from beatbrief.feeds import load_schema
from transforms import warehouse
from transforms.readers import FeedFileError, file_sha256, iter_file

log = logging.getLogger(__name__)


class LandingError(ValueError):
    """The landing folder itself is broken (e.g. a partition folder that is not a date)."""


@dataclass(frozen=True)
class LandedFile:
    """One file found under HOME/landing/<feed>/<YYYY-MM-DD>/."""

    partition_date: date
    path: Path
    sha256: str


def discover(settings: Settings, feed: str, up_to: date) -> list[LandedFile]:
    """Landed files of a feed in partitions up to `up_to`, oldest first, hidden files skipped."""
    root = settings.landing_dir / feed
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            partition = date.fromisoformat(folder.name)
        except ValueError as error:
            raise LandingError(
                f"{folder}: partition folder must be named YYYY-MM-DD (feed {feed})"
            ) from error
        if partition > up_to:
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                found.append(LandedFile(partition, path, file_sha256(path)))
    return found


def batch_id_for(feed: str, files: list[LandedFile]) -> str:
    """A deterministic batch id: the feed and a digest of the files' paths and hashes."""
    digest = hashlib.sha256()
    for landed in files:
        digest.update(f"{landed.path}\0{landed.sha256}\n".encode())
    return f"{feed}-{digest.hexdigest()[:16]}"


def ingest_feed(settings: Settings, feed: str, as_of: date) -> dict:
    """Load the feed's new landed files (partitions up to `as_of`) into its raw table, file by
    file and batch by batch (`ingest_batch_rows`), so memory is set by the batch."""
    schema = load_schema(feed)
    landed = discover(settings, feed, as_of)
    with warehouse.connect(settings, settings.load_memory_limit) as con:
        seen = set(
            con.execute(
                "select file_path, file_sha256 from load_manifest where feed = ?", [feed]
            ).fetchall()
        )
        new = [f for f in landed if (str(f.path), f.sha256) not in seen]
        if not new:
            log.info("%s: no new files up to %s", feed, as_of)
            return {"feed": feed, "batch_id": None, "files": 0, "rows_read": 0}
        batch_id = batch_id_for(feed, new)
        loaded_at = datetime.now().replace(microsecond=0)
        _drop_partial(con, feed)  # rows of a read cut short, before any file is read again
        total = 0
        for landed_file in new:
            manifest = _load_file(con, settings, schema, landed_file, batch_id, loaded_at)
            total += manifest["rows_read"]
    log.info("%s: read %d rows from %d new files (batch %s)", feed, total, len(new), batch_id)
    return {"feed": feed, "batch_id": batch_id, "files": len(new), "rows_read": total}


def _load_file(con, settings: Settings, schema, landed: LandedFile, batch_id, loaded_at) -> dict:
    """Append one file's raw rows batch by batch, then its manifest row. Each batch commits on
    its own (DuckDB holds a transaction's appends in memory), so a file is whole only once its
    manifest row is in: rows of a file without one are removed before the file is read again.
    An unreadable file gets a rejected manifest row and no rows."""
    feed, table = schema.feed, warehouse.raw_table(schema.feed)
    rows = 0
    try:
        batches = iter_file(landed.path, schema, settings.ingest_batch_rows)
        for batch in batches:
            if batch.height:
                warehouse.append_frame(
                    con,
                    table,
                    batch.with_columns(
                        pl.lit(landed.partition_date).alias("_partition_date"),
                        pl.lit(batch_id).alias("_batch_id"),
                    ),
                )
            rows += batch.height
            del batch  # released before the next one is read
        fmt, encoding = batches.file_format, batches.encoding  # the encoding: once read
        manifest = _manifest_row(
            feed, landed, batch_id, fmt, encoding, rows, "read", None, loaded_at
        )
    except FeedFileError as error:
        _drop_partial(con, feed, landed.path)
        log.error("%s", error)
        manifest = _manifest_row(
            feed, landed, batch_id, None, None, 0, "rejected", str(error), loaded_at
        )
    warehouse.append_frame(con, "load_manifest", pl.DataFrame([manifest], infer_schema_length=None))
    return manifest


def _drop_partial(con, feed: str, path: Path | None = None) -> None:
    """Remove raw rows of files (or of one file) that have no manifest row yet: a read cut
    short."""
    only = "" if path is None else "_file_path = $path and "
    con.execute(
        f"delete from {warehouse.raw_table(feed)} where {only}_file_path not in "
        "(select file_path from load_manifest where feed = $feed and status = 'read')",
        {"feed": feed} | ({} if path is None else {"path": str(path)}),
    )


def _manifest_row(
    feed, landed: LandedFile, batch_id, fmt, encoding, rows, status, error, loaded_at
) -> dict:
    """A load_manifest row for a file just read."""
    return {
        "feed": feed,
        "partition_date": landed.partition_date,
        "file_path": str(landed.path),
        "file_sha256": landed.sha256,
        "batch_id": batch_id,
        "file_format": fmt,
        "encoding": encoding,
        "file_bytes": landed.path.stat().st_size,
        "rows_read": rows,
        "rows_accepted": 0 if status == "rejected" else None,
        "rows_quarantined": 0 if status == "rejected" else None,
        "rows_duplicate": 0 if status == "rejected" else None,
        "status": status,
        "error": error,
        "loaded_at": loaded_at,
        "validated_at": None,
    }
