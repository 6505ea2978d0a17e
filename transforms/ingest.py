"""Ingest: every landed file up to the logical date that is not yet loaded goes into its feed's
raw table (one batch id per feed and run, streamed file by file), and gets a row in
`load_manifest` keyed by its content hash."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from beatbrief.config import Settings
from beatbrief.feeds import load_schema
from transforms import warehouse
from transforms.readers import FeedFileError, file_sha256, iter_file

# a bureau's share of a landed file (transforms/route.py): its rows, and its facts
ROUTED_SUFFIX = ".routed.parquet"
SHARE_SUFFIX = ".routed.json"

log = logging.getLogger(__name__)


class LandingError(ValueError):
    """The landing folder itself is broken (e.g. a partition folder that is not a date)."""


@dataclass(frozen=True)
class LandedFile:
    """One file found under HOME/landing/<feed>/<YYYY-MM-DD>/; for a bureau, its share of a
    landed file (`share`: the facts file transforms/route.py wrote beside the share's rows),
    named by the original file's path and hash."""

    feed: str
    partition_date: date
    path: Path
    sha256: str
    share: dict | None = None

    @property
    def key(self) -> str:
        """The file's name in every table: its path below the landing root, so that HOME can
        be copied or moved without a file looking new (transforms.ingest.landed_key)."""
        return self.share["source_path"] if self.share else _key_of(self.path)


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
            if not path.is_file() or path.name.startswith("."):
                continue
            if settings.bureau:  # a bureau's landing holds the shares routed to it
                if path.name.endswith(SHARE_SUFFIX):
                    found.append(_share(settings, feed, partition, path))
                continue
            found.append(LandedFile(feed, partition, path, file_sha256(path)))
    return found


def _share(settings: Settings, feed: str, partition: date, facts_path: Path) -> LandedFile:
    """A bureau's share of a landed file, from the facts file beside its rows."""
    facts = json.loads(facts_path.read_text(encoding="utf-8"))
    rows_path = facts_path.with_name(facts_path.name.removesuffix(SHARE_SUFFIX) + ROUTED_SUFFIX)
    facts["rows_path"] = str(rows_path)
    source = landed_path(settings, facts["source_path"])
    return LandedFile(feed, partition, source, facts["source_sha256"], facts)


def landed_path(settings: Settings, key: str) -> Path:
    """The landed file a key names: HOME/landing/<key> (a bureau's shares name the
    province's landed files)."""
    return settings.home / "landing" / key


def _key_of(path: Path) -> str:
    """feed/date/file: the last three parts of a landed file's path, the part below the
    landing root (discover only finds files at that depth)."""
    return "/".join(path.parts[-3:])


def batch_id_for(feed: str, files: list[LandedFile]) -> str:
    """A deterministic batch id: the feed and a digest of the files' paths and hashes."""
    digest = hashlib.sha256()
    for landed in files:
        digest.update(f"{landed.key}\0{landed.sha256}\n".encode())
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
        new = [f for f in landed if (f.key, f.sha256) not in seen]
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
    if landed.share is not None:
        manifest = _load_share(con, table, landed, batch_id, loaded_at)
        warehouse.append_frame(
            con, "load_manifest", pl.DataFrame([manifest], infer_schema_length=None)
        )
        return manifest
    rows = 0
    try:
        batches = iter_file(landed.path, schema, settings.ingest_batch_rows)
        for batch in batches:
            if batch.height:
                warehouse.append_frame(
                    con,
                    table,
                    batch.with_columns(
                        pl.lit(landed.key).alias("_file_path"),
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
        _drop_partial(con, feed, landed.key)
        log.error("%s", error)
        reason = keyed_error(error, landed)
        manifest = _manifest_row(
            feed, landed, batch_id, None, None, 0, "rejected", reason, loaded_at
        )
    warehouse.append_frame(con, "load_manifest", pl.DataFrame([manifest], infer_schema_length=None))
    return manifest


def _load_share(con, table: str, landed: LandedFile, batch_id: str, loaded_at) -> dict:
    """A bureau's share of a landed file: its rows in one DuckDB scan of the routed Parquet
    file, and a manifest row naming the original file (its rows read are the share's)."""
    share = landed.share
    if share["status"] == "read" and share["rows"]:
        con.execute(
            f"insert into {table} by name select *, $partition as _partition_date, "
            "$batch as _batch_id from read_parquet($path)",
            {"partition": landed.partition_date, "batch": batch_id, "path": share["rows_path"]},
        )
    return _manifest_row(
        landed.feed,
        landed,
        batch_id,
        share["file_format"],
        share["encoding"],
        share["rows"],
        share["status"],
        share["error"],
        loaded_at,
    )


def _drop_partial(con, feed: str, key: str | None = None) -> None:
    """Remove raw rows of files (or of one file) that have no manifest row yet: a read cut
    short."""
    only = "" if key is None else "_file_path = $path and "
    con.execute(
        f"delete from {warehouse.raw_table(feed)} where {only}_file_path not in "
        "(select file_path from load_manifest where feed = $feed and status = 'read')",
        {"feed": feed} | ({} if key is None else {"path": key}),
    )


def keyed_error(error: Exception, landed: LandedFile) -> str:
    """An error about a landed file, naming it by its key (so no table or page holds HOME)."""
    return str(error).replace(str(landed.path), landed.key)


def _manifest_row(
    feed, landed: LandedFile, batch_id, fmt, encoding, rows, status, error, loaded_at
) -> dict:
    """A load_manifest row for a file just read."""
    return {
        "feed": feed,
        "partition_date": landed.partition_date,
        "file_path": landed.key,
        "file_sha256": landed.sha256,
        "batch_id": batch_id,
        "file_format": fmt,
        "encoding": encoding,
        "file_bytes": landed.share["source_bytes"] if landed.share else landed.path.stat().st_size,
        "rows_read": rows,
        "rows_accepted": 0 if status == "rejected" else None,
        "rows_quarantined": 0 if status == "rejected" else None,
        "rows_duplicate": 0 if status == "rejected" else None,
        "status": status,
        "error": error,
        "loaded_at": loaded_at,
        "validated_at": None,
    }
