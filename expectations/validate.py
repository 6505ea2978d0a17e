"""Validate a feed's pending batch with its Great Expectations checkpoint.

The batch is every raw row ingested but not yet validated. It is typed, de-duplicated and
checked by GX in bounded memory, chunk by chunk (expectations/batch.py), and then, in one
DuckDB transaction: accepted rows go to `accepted_<feed>`, failing rows to `quarantine`, and
`load_manifest` gets each file's row accounting (read = accepted + quarantined + duplicate).
A failed `critical` expectation rejects the files it names, and the task fails loudly after
the rest of the batch has been stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from beatbrief.config import Settings
from beatbrief.feeds import FeedSchema, load_schema
from beatbrief.pii import mask_pii
from expectations import batch as batch_mod
from expectations.checks import expectation_parameters
from expectations.gx import (
    FeedValidationError,
    RuleOutcome,
    build_docs,
    checkpoint_for,
    gx_context,
    run_name_for,
    run_suite,
)
from expectations.health import feed_health, health_suite
from expectations.suites import build_suite
from transforms import warehouse
from transforms.ingest import landed_path
from transforms.readers import parquet_raw_records

log = logging.getLogger(__name__)
# GX logs hundreds of INFO lines per run through stdlib logging; keep them out of task logs.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

ACCEPTED_META = ("_file_path", "_line_number", "_partition_date", "_batch_id", "_row_hash")


@dataclass
class CheckedBatch:
    """What validation found in a batch; the rows themselves stay in DuckDB (batch.py)."""

    rows: int
    unique: int
    duplicates: int
    outcomes: list[RuleOutcome]
    rejected_files: dict[str, str]


def validate_feed(settings: Settings, feed: str, as_of: date) -> dict:
    """Validate the feed's pending batch and its health for the day; store accepted and
    quarantined rows, per-file accounting, the feed's status and the GX results."""
    schema = load_schema(feed)
    context = gx_context(settings)
    run_name = run_name_for(feed, as_of)
    with warehouse.connect(settings, settings.load_memory_limit) as con:
        unreadable = con.execute(
            "select file_path, error from load_manifest "
            "where feed = ? and status = 'rejected' and validated_at is null",
            [feed],
        ).fetchall()
        # every file read but not yet validated, empty ones included
        pending = [
            row[0]
            for row in con.execute(
                "select file_path from load_manifest where feed = ? and status = 'read'", [feed]
            ).fetchall()
        ]
        params = expectation_parameters(con, settings, schema, as_of)
        health_frame = feed_health(con, settings, schema, as_of)
        health_params = {
            "volume_min_ratio": settings.volume_min_ratio,
            "volume_max_ratio": settings.volume_max_ratio,
            "reference_max_key_drop": settings.reference_max_key_drop,
        }
        health = run_suite(
            checkpoint_for(context, f"{feed}_health", health_suite(schema)),
            health_frame,
            health_params,
            run_name,
        )
        problems = [f"{path}: rejected ({error})" for path, error in unreadable]
        batch = None
        try:
            rows = batch_mod.count_rows(con, schema)
            if rows:
                batch = _check_batch(
                    settings, con, context, schema, rows, params, health, health_frame, as_of
                )
                problems += batch_mod.critical_problems(con, feed, batch.outcomes)
                problems += [
                    f"{path}: rejected by {rule}"
                    for path, rule in sorted(batch.rejected_files.items())
                ]
            problems += _health_problems(feed, as_of, health, health_frame)
            now = datetime.now().replace(microsecond=0)
            con.begin()
            if pending:
                _store_batch(con, settings, schema, pending, batch, now)
            con.execute(
                "update load_manifest set validated_at = ? "
                "where feed = ? and status = 'rejected' and validated_at is null",
                [now, feed],
            )
            if batch is not None:
                _store_results(con, feed, as_of, "rows", batch.outcomes)
            _store_results(con, feed, as_of, "health", health)
            _store_status(con, feed, as_of, health_frame, problems)
            summary = _summary(con, feed, rows, batch, problems)
            con.commit()
        finally:
            batch_mod.drop_batch_tables(con)
    build_docs(context, settings, feed, as_of)
    log.info(
        "%s validated: %d rows, %d accepted, %d quarantined, %d duplicate",
        feed,
        summary["rows"],
        summary["accepted"],
        summary["quarantined"],
        summary["duplicate"],
    )
    if problems:
        raise FeedValidationError(
            f"feed {feed} for {as_of}: batch-level failure:\n  " + "\n  ".join(problems)
        )
    return summary


def _summary(con, feed: str, rows: int, batch: CheckedBatch | None, problems) -> dict:
    """The task's return value: the batch's counts and failed rules."""
    quarantined = 0
    if batch is not None:
        quarantined = con.execute(f"select count(*) from {batch_mod.VERDICTS}").fetchall()[0][0]
    return {
        "feed": feed,
        "rows": rows,
        "accepted": batch.unique - quarantined if batch else 0,
        "quarantined": quarantined,
        "duplicate": batch.duplicates if batch else 0,
        "failed_rules": {o.rule: o.unexpected_count for o in batch.outcomes if not o.success}
        if batch
        else {},
        "status": "failed" if problems else "ok",
    }


def rejected_partition(rule: str, health_frame: pl.DataFrame, as_of: date) -> date | None:
    """The partition a failed health rule rejects: the reference delivery that dropped keys,
    else the day's."""
    if "key_drop_share" in rule:
        return health_frame["delivery_partition"][0]
    return as_of


def _check_batch(
    settings, con, context, schema, rows, params, health, health_frame, as_of
) -> CheckedBatch:
    """Rows typed, flagged and checked chunk by chunk, and sorted into accepted, quarantined
    and duplicate (VERDICTS). A failed health check rejects files as a whole: the day's
    (volume, freshness) or the reference delivery's (keys dropped), so the previous reference
    stays in force."""
    chunk_rows = settings.validate_chunk_rows
    batch_mod.type_rows(con, schema, params, rows, chunk_rows)
    unique, duplicates, chunks = batch_mod.flag_rows(con, schema, chunk_rows)
    checkpoint = checkpoint_for(context, schema.feed, build_suite(schema))
    outcomes = batch_mod.run_chunks(
        con, checkpoint, schema, params, chunks, run_name_for(schema.feed, as_of)
    )
    rejected: dict[str, str] = {}
    for outcome in health:
        if outcome.success:
            continue
        partition = rejected_partition(outcome.rule, health_frame, as_of)
        files = con.execute(
            f"select distinct _file_path from {batch_mod.CHECKED} where _partition_date = ? "
            "order by 1",
            [partition],
        ).fetchall()
        for (path,) in files:
            rejected.setdefault(path, outcome.rule)
    batch_mod.decide_rows(con, rejected)
    return CheckedBatch(rows, unique, duplicates, outcomes, rejected)


def _store_batch(
    con, settings: Settings, schema: FeedSchema, pending: list[str], batch: CheckedBatch | None, now
) -> None:
    """Accepted rows, quarantined rows and per-file accounting; empties the raw table."""
    feed = schema.feed
    raw = warehouse.raw_table(feed)
    if batch is not None:
        checked, verdicts = batch_mod.CHECKED, batch_mod.VERDICTS
        columns = ", ".join(f'"{c}"' for c in [*schema.names, *ACCEPTED_META])
        con.execute(
            f"insert into {warehouse.accepted_table(feed)} by name select {columns} "
            f"from {checked} where not _duplicate "
            f"and _row_id not in (select _row_id from {verdicts}) order by _row_id"
        )
        _parquet_raw_records(con, settings)
        con.create_function("mask_pii", mask_pii, ["VARCHAR"], "VARCHAR")
        try:
            con.execute(
                f"""
                insert into quarantine by name
                select
                    ? as feed,
                    c._partition_date as partition_date,
                    c._file_path as file_path,
                    c._line_number as line_number,
                    v.rule,
                    v.all_rules,
                    v.severity,
                    coalesce(r._raw_record, p.raw_record) as raw_record,
                    c._batch_id as batch_id,
                    ? as quarantined_at,
                    mask_pii(c._bad_values) as detail
                from {checked} as c
                inner join {verdicts} as v using (_row_id)
                left join {raw} as r
                    on r._file_path = c._file_path and r._line_number = c._line_number
                left join _parquet_records as p
                    on p._file_path = c._file_path and p._line_number = c._line_number
                order by c._row_id
                """,
                [feed, now],
            )
        finally:
            con.remove_function("mask_pii")
    con.execute("create or replace temp table _pending_files (_file_path varchar)")
    con.executemany("insert into _pending_files values (?)", [[p] for p in pending])
    counts = (
        f"""
        select
            f._file_path,
            count(c._row_id) filter (not c._duplicate and v._row_id is null) as rows_accepted,
            count(v._row_id) as rows_quarantined,
            count(c._row_id) filter (c._duplicate) as rows_duplicate,
            arg_min(v.rule, c._row_id) filter (v.severity = 'critical') as rejected_rule
        from _pending_files as f
        left join {batch_mod.CHECKED} as c using (_file_path)
        left join {batch_mod.VERDICTS} as v using (_row_id)
        group by f._file_path
        """
        if batch is not None
        else "select _file_path, 0 as rows_accepted, 0 as rows_quarantined, "
        "0 as rows_duplicate, null as rejected_rule from _pending_files"
    )
    con.execute(
        f"""
        update load_manifest as m set
            rows_accepted = c.rows_accepted,
            rows_quarantined = c.rows_quarantined,
            rows_duplicate = c.rows_duplicate,
            status = case when c.rejected_rule is null then 'validated' else 'rejected' end,
            error = c.rejected_rule,
            validated_at = ?
        from ({counts}) as c
        where m.feed = ? and m.status = 'read' and m.file_path = c._file_path
        """,
        [now, feed],
    )
    con.execute("drop table _pending_files")
    con.execute(f"delete from {raw}")


def _parquet_raw_records(con, settings: Settings) -> None:
    """_parquet_records: the raw record of each quarantined Parquet row, read from its file
    (ingest leaves it null, as only these rows need it), at most `validate_chunk_rows` rows at
    a time, so a wholly rejected large file stays in bounded memory."""
    chunk_rows = settings.validate_chunk_rows
    quarantined = f"""
        select c._file_path, c._line_number
        from {batch_mod.CHECKED} as c
        inner join {batch_mod.VERDICTS} as v using (_row_id)
        where c._file_path in (
            select file_path from load_manifest
            where status = 'read' and file_format = 'parquet'
        )
    """
    con.execute(
        "create or replace temp table _parquet_records "
        "(_file_path varchar, _line_number bigint, raw_record varchar)"
    )
    files = con.execute(
        f"select _file_path, count(*) from ({quarantined}) group by 1 order by 1"
    ).fetchall()
    for path, count in files:
        for offset in range(0, count, chunk_rows):
            lines = [
                line
                for (line,) in con.execute(
                    f"select _line_number from ({quarantined}) where _file_path = ? "
                    "order by 1 limit ? offset ?",
                    [path, chunk_rows, offset],
                ).fetchall()
            ]
            records = parquet_raw_records(landed_path(settings, path), lines).with_columns(
                pl.lit(path).alias("_file_path")
            )
            warehouse.append_frame(con, "_parquet_records", records)


def _store_results(con, feed: str, as_of: date, check: str, outcomes: list[RuleOutcome]) -> None:
    """Replace the day's GX results of one check of a feed."""
    con.execute(
        "delete from validation_results where as_of_date = ? and feed = ? and check_name = ?",
        [as_of, feed, check],
    )
    rows = [
        (
            as_of,
            feed,
            check,
            o.rule,
            o.severity,
            o.success,
            o.unexpected_count,
            o.element_count,
            o.notes,
        )
        for o in outcomes
    ]
    if rows:
        con.executemany("insert into validation_results values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _store_status(con, feed: str, as_of: date, health: pl.DataFrame, problems: list[str]) -> None:
    """Replace the feed's status for the day."""
    row = health.row(0, named=True)
    con.execute("delete from feed_status where as_of_date = ? and feed = ?", [as_of, feed])
    con.execute(
        "insert into feed_status values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            as_of,
            feed,
            "failed" if problems else "ok",
            "\n".join(problems) or None,
            row["rows_today"],
            row["trailing_median_rows"],
            row["volume_ratio"],
            row["latest_partition"],
            row["days_since_latest_partition"],
        ],
    )


def _health_problems(feed: str, as_of: date, health: list[RuleOutcome], frame) -> list[str]:
    """Readable lines for failed health expectations, with the figures behind them."""
    row = frame.row(0, named=True)
    figures = (
        f"rows on {as_of}: {row['rows_today']}, trailing median: {row['trailing_median_rows']}, "
        f"latest partition: {row['latest_partition']}"
    )
    if row["key_drop_share"] is not None:
        figures += (
            f"; the delivery of {row['delivery_partition']} lacks {row['delivery_keys_dropped']} "
            f"of the previous delivery's {row['previous_delivery_keys']} keys "
            f"({row['key_drop_share']:.0%}); the previous reference stays in force"
        )
    return [f"feed {feed}: rule {o.rule} failed ({figures})" for o in health if not o.success]


def assert_feeds_ok(settings: Settings, as_of: date) -> dict[str, str]:
    """Fail, naming each feed that did not arrive whole for the day (after the briefing is
    published with its banner), so the Airflow run itself ends failed; return the statuses."""
    from beatbrief.feeds import FEED_NAMES

    with warehouse.connect(settings) as con:
        status = dict(
            con.execute(
                "select feed, coalesce(problems, status) from feed_status "
                "where as_of_date = ? and status <> 'ok'",
                [as_of],
            ).fetchall()
        )
        checked = {
            row[0]
            for row in con.execute(
                "select feed from feed_status where as_of_date = ?", [as_of]
            ).fetchall()
        }
    for feed in FEED_NAMES:
        if feed not in checked:
            status[feed] = "not validated (its task did not run to the end)"
    if status:
        raise FeedValidationError(
            f"feeds not whole for {as_of}: "
            + "; ".join(f"{feed}: {problem}" for feed, problem in sorted(status.items()))
        )
    return dict.fromkeys(FEED_NAMES, "ok")


def assert_province_ok(settings: Settings, as_of: date, bureaus: list[str]) -> dict[str, dict]:
    """assert_feeds_ok for every bureau of the province, naming each bureau and feed that did
    not arrive whole, and each landed file whose rows are not all accounted for; return the
    statuses by bureau."""
    from transforms.route import unaccounted_files

    if not bureaus:
        raise FeedValidationError(
            f"no bureau to brief for {as_of}: no stations reference has been routed"
        )
    problems, statuses = [], {}
    for bureau in bureaus:
        try:
            statuses[bureau] = assert_feeds_ok(settings.for_bureau(bureau), as_of)
        except FeedValidationError as error:
            problems.append(f"bureau {bureau}: {error}")
    problems += unaccounted_files(settings, bureaus)
    if problems:
        raise FeedValidationError("; ".join(problems))
    return statuses
