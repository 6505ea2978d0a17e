"""Validate a feed's pending batch with its Great Expectations checkpoint.

The batch is every raw row ingested but not yet validated. Rows are typed to the contract,
exact duplicates are collapsed, the GX checkpoint runs, and then, in one DuckDB transaction:
accepted rows go to `accepted_<feed>`, failing rows to `quarantine`, and `load_manifest` gets
each file's row accounting (read = accepted + quarantined + duplicate).
A failed `critical` expectation rejects the files it names, and the task fails loudly after
the rest of the batch has been stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl

from beatbrief.config import Settings
from beatbrief.feeds import FeedSchema, load_schema
from beatbrief.pii import mask_pii
from transforms import warehouse
from transforms.casting import cast_to_contract

log = logging.getLogger(__name__)
# GX logs hundreds of INFO lines per run through stdlib logging; keep them out of task logs.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

DATASOURCE = "beatbrief"
DOCS_SITE = "beatbrief"
# columns GX needs besides the contract's; the raw record stays out of pandas to save memory
CHECK_COLUMNS = (
    "_row_id",
    "_line_number",
    "_file_path",
    "_malformed",
    "_missing_required",
    "_missing_optional",
    "_parse_errors",
    "_non_finite",
)
ACCEPTED_META = ("_file_path", "_line_number", "_partition_date", "_batch_id", "_row_hash")


class FeedValidationError(RuntimeError):
    """A batch-level failure: names the feed, file, column and rule."""


@dataclass
class RuleOutcome:
    """What one expectation found in the batch."""

    rule: str
    severity: str
    success: bool
    unexpected_count: int
    element_count: int | None = None
    row_ids: set[int] = field(default_factory=set)
    notes: str | None = None


def gx_context(settings: Settings):
    """The file-backed GX context under HOME/gx, with Data Docs written to HOME/quality."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    settings.gx_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(settings.gx_dir))
    sites = context.config.data_docs_sites or {}
    if DOCS_SITE not in sites or "local_site" in sites:
        for name in list(sites):
            context.delete_data_docs_site(name)
        context.add_data_docs_site(
            site_name=DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(settings.quality_dir / "data_docs"),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.save()
    return context


def checkpoint_for(context, name: str, suite):
    """A checkpoint running `suite` on a whole-dataframe pandas batch, updating Data Docs."""
    import great_expectations as gx

    source = context.data_sources.add_or_update_pandas(DATASOURCE)
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        batch = asset.get_batch_definition("batch")
    except (KeyError, LookupError):
        batch = asset.add_batch_definition_whole_dataframe("batch")
    suite = context.suites.add_or_update(suite)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )
    return context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=name,
            validation_definitions=[definition],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[DOCS_SITE])],
            # Row ids only: no feed value reaches a validation result, the GX stores or the
            # Data Docs (exclude_unexpected_values drops the values from every list).
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["_row_id"],
                "exclude_unexpected_values": True,
                "return_unexpected_index_query": False,
                "partial_unexpected_count": 0,
            },
        )
    )


def run_checkpoint(
    settings: Settings, name: str, suite, frame: pl.DataFrame, params: dict
) -> list[RuleOutcome]:
    """Run a suite on a frame (which has a `_row_id` column); one outcome per expectation."""
    from expectations.suites import rule_name

    checkpoint = checkpoint_for(gx_context(settings), name, suite)
    result = checkpoint.run(
        batch_parameters={"dataframe": frame.to_pandas()}, expectation_parameters=params
    )
    outcomes = []
    for validation in result.run_results.values():
        for item in validation.results:
            config = item.expectation_config
            found = item.result or {}
            ids = unexpected_row_ids(found.get("unexpected_index_list"))
            if item.exception_info and item.exception_info.get("raised_exception"):
                raise FeedValidationError(
                    f"{name}: expectation {rule_name(config)} could not run: "
                    f"{item.exception_info.get('exception_message')}"
                )
            outcomes.append(
                RuleOutcome(
                    rule=rule_name(config),
                    severity=str(getattr(config.severity, "value", config.severity)),
                    success=bool(item.success),
                    unexpected_count=int(found.get("unexpected_count") or len(ids)),
                    element_count=found.get("element_count"),
                    row_ids=ids,
                    notes=config.notes if isinstance(config.notes, str) else None,
                )
            )
    return outcomes


def unexpected_row_ids(index_list) -> set[int]:
    """Row ids from GX's unexpected_index_list: `[{"_row_id": [ids]}]` when values are
    excluded, `[{"_row_id": id, ...}, ...]` otherwise."""
    ids: set[int] = set()
    for item in index_list or []:
        value = item["_row_id"]
        ids.update(int(v) for v in value) if isinstance(value, list) else ids.add(int(value))
    return ids


def row_hashes(rows: pl.DataFrame, schema: FeedSchema) -> pl.Series:
    """An MD5 of each row's contract values as landed text: equal hashes are exact duplicates."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("landed_rows", rows.select(schema.names))
        hashes = con.sql("select md5(to_json(landed_rows)) as row_hash from landed_rows").pl()
    finally:
        con.close()
    return hashes["row_hash"]


@dataclass
class CheckedBatch:
    """A typed batch with the verdict on every row."""

    typed: pl.DataFrame
    accepted: pl.DataFrame
    quarantined: pl.DataFrame
    duplicates: pl.DataFrame
    outcomes: list[RuleOutcome]
    rejected_files: dict[str, str]


def check_rows(
    settings: Settings, con, schema: FeedSchema, raw: pl.DataFrame, params: dict
) -> tuple[pl.DataFrame, pl.DataFrame, list[RuleOutcome]]:
    """Type, de-duplicate and run the row checkpoint: (typed rows, duplicate flags, outcomes)."""
    from expectations.checks import add_check_columns, check_columns
    from expectations.suites import build_suite

    # hash the text as landed, so two rows that differ only in unparsable values differ
    raw = raw.with_columns(row_hashes(raw, schema).alias("_row_hash"))
    typed = cast_to_contract(raw, schema).with_row_index("_row_id")
    typed = add_check_columns(typed, schema, params)
    duplicate = _duplicates(con, schema, typed)
    unique = typed.filter(~duplicate)
    # personal columns never enter GX: no rule reads them (their checks are derived columns)
    checked = [c.name for c in schema.columns if not c.pii]
    frame = unique.select([*checked, *CHECK_COLUMNS, *check_columns(schema)])
    outcomes = run_checkpoint(settings, schema.feed, build_suite(schema), frame, params)
    return typed, duplicate, outcomes


def validate_feed(settings: Settings, feed: str, as_of: date) -> dict:
    """Validate the feed's pending batch and its health for the day; store accepted and
    quarantined rows, per-file accounting, the feed's status and the GX results."""
    from expectations.checks import expectation_parameters
    from expectations.health import feed_health, run_health

    schema = load_schema(feed)
    raw_table = warehouse.raw_table(feed)
    with warehouse.connect(settings) as con:
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
        raw = con.sql(
            f"select * from {raw_table} order by _partition_date, _file_path, _line_number"
        ).pl()
        params = expectation_parameters(con, settings, schema, as_of)
        health_frame = feed_health(con, settings, schema, as_of)
        health = run_health(settings, schema, health_frame)
        problems = [f"{path}: rejected ({error})" for path, error in unreadable]
        batch = None
        if raw.height:
            batch = _check_batch(settings, con, schema, raw, params, health, health_frame, as_of)
            problems += _critical_problems(feed, batch)
        problems += _health_problems(feed, as_of, health, health_frame)
        now = datetime.now().replace(microsecond=0)
        con.begin()
        if pending:
            _store_batch(con, schema, pending, batch, now)
        con.execute(
            "update load_manifest set validated_at = ? "
            "where feed = ? and status = 'rejected' and validated_at is null",
            [now, feed],
        )
        if batch is not None:
            _store_results(con, feed, as_of, "rows", batch.outcomes)
        _store_results(con, feed, as_of, "health", health)
        _store_status(con, feed, as_of, health_frame, problems)
        con.commit()
    summary = {
        "feed": feed,
        "rows": raw.height,
        "accepted": batch.accepted.height if batch else 0,
        "quarantined": batch.quarantined.height if batch else 0,
        "duplicate": batch.duplicates.height if batch else 0,
        "failed_rules": {o.rule: o.unexpected_count for o in batch.outcomes if not o.success}
        if batch
        else {},
        "status": "failed" if problems else "ok",
    }
    log.info("%s validated: %s", feed, summary)
    if problems:
        raise FeedValidationError(
            f"feed {feed} for {as_of}: batch-level failure:\n  " + "\n  ".join(problems)
        )
    return summary


def rejected_partition(rule: str, health_frame: pl.DataFrame, as_of: date) -> date | None:
    """The partition a failed health rule rejects: the reference delivery that dropped keys,
    else the day's."""
    if "key_drop_share" in rule:
        return health_frame["delivery_partition"][0]
    return as_of


def _check_batch(settings, con, schema, raw, params, health, health_frame, as_of) -> CheckedBatch:
    """Rows checked and sorted into accepted, quarantined and duplicate. A failed health check
    rejects files as a whole: the day's (volume, freshness) or the reference delivery's (keys
    dropped), so the previous reference stays in force."""
    typed, duplicate, outcomes = check_rows(settings, con, schema, raw, params)
    unique = typed.filter(~duplicate)
    todays: dict[str, str] = {}
    for outcome in health:
        if outcome.success:
            continue
        partition = rejected_partition(outcome.rule, health_frame, as_of)
        files = raw.filter(pl.col("_partition_date") == partition)["_file_path"].unique()
        for path in files.sort().to_list():
            todays.setdefault(path, outcome.rule)
    verdicts = _verdicts(unique, outcomes, todays)
    return CheckedBatch(
        typed=unique,
        accepted=unique.join(verdicts, on="_row_id", how="anti"),
        quarantined=unique.join(verdicts, on="_row_id", how="inner"),
        duplicates=typed.filter(duplicate),
        outcomes=outcomes,
        rejected_files=todays,
    )


def _store_batch(
    con, schema: FeedSchema, pending: list[str], batch: CheckedBatch | None, now
) -> None:
    """Accepted rows, quarantined rows and per-file accounting; empties the raw table."""
    feed = schema.feed
    if batch is not None:
        warehouse.append_frame(
            con,
            warehouse.accepted_table(feed),
            batch.accepted.select([*schema.names, *ACCEPTED_META]),
        )
        warehouse.append_frame(con, "quarantine", _quarantine_rows(feed, batch.quarantined, now))
    counts = _file_counts(pending, batch)
    con.register("file_counts", counts)
    con.execute(
        """
        update load_manifest as m set
            rows_accepted = c.rows_accepted,
            rows_quarantined = c.rows_quarantined,
            rows_duplicate = c.rows_duplicate,
            status = case when c.rejected_rule is null then 'validated' else 'rejected' end,
            error = c.rejected_rule,
            validated_at = ?
        from file_counts as c
        where m.feed = ? and m.status = 'read' and m.file_path = c._file_path
        """,
        [now, feed],
    )
    con.unregister("file_counts")
    con.execute(f"delete from {warehouse.raw_table(feed)}")


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


def _duplicates(con, schema: FeedSchema, typed: pl.DataFrame) -> pl.Series:
    """Rows that repeat an earlier row of the batch or an already accepted row, exactly.

    A reference delivery (one partition) is a full copy: its rows repeat only rows of the same
    delivery, never those of an earlier one, so the latest delivery stays whole."""
    table = warehouse.accepted_table(schema.feed)
    if schema.group == "reference":
        key = pl.concat_str(pl.col("_row_hash"), pl.col("_partition_date").cast(pl.String))
        accepted_key = "_row_hash || cast(_partition_date as varchar)"
    else:
        key, accepted_key = pl.col("_row_hash"), "_row_hash"
    keys = typed.select(key.alias("_dedup_key"))
    con.register("batch_keys", keys)
    seen = con.sql(
        f"select distinct _dedup_key from batch_keys "
        f"where _dedup_key in (select {accepted_key} from {table})"
    ).pl()
    con.unregister("batch_keys")
    column = keys["_dedup_key"]
    return ~column.is_first_distinct() | column.is_in(seen["_dedup_key"].implode())


def _verdicts(
    unique: pl.DataFrame, outcomes: list[RuleOutcome], rejected: dict[str, str]
) -> pl.DataFrame:
    """Each failing row's first rule, all its rules and the gravest severity.

    A critical rule rejects whole files, so every row of a file it names is included, and so
    is every row of the files in `rejected` (file path -> rule)."""
    rank = {"critical": 0, "warning": 1, "info": 2}
    hits: dict[int, list[tuple[str, str]]] = {}
    critical_files: dict[str, str] = dict(rejected)
    for outcome in outcomes:
        if outcome.success or outcome.severity == "info":
            continue
        if outcome.severity == "critical":
            for path in unique.filter(pl.col("_row_id").is_in(list(outcome.row_ids)))["_file_path"]:
                critical_files.setdefault(path, outcome.rule)
            continue
        for row_id in outcome.row_ids:
            hits.setdefault(row_id, []).append((outcome.rule, outcome.severity))
    if critical_files:
        rejected = unique.filter(pl.col("_file_path").is_in(list(critical_files)))
        for row_id, path in rejected.select("_row_id", "_file_path").iter_rows():
            hits.setdefault(row_id, []).insert(0, (critical_files[path], "critical"))
    records = [
        {
            "_row_id": row_id,
            "rule": rules[0][0],
            "all_rules": "; ".join(dict.fromkeys(r for r, _ in rules)),
            "severity": min((s for _, s in rules), key=rank.__getitem__),
        }
        for row_id, rules in sorted(hits.items())
    ]
    return pl.DataFrame(
        records,
        schema={
            "_row_id": pl.UInt32,
            "rule": pl.String,
            "all_rules": pl.String,
            "severity": pl.String,
        },
    )


def _quarantine_rows(feed: str, quarantined: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Rows for the quarantine table."""
    return quarantined.select(
        pl.lit(feed).alias("feed"),
        pl.col("_partition_date").alias("partition_date"),
        pl.col("_file_path").alias("file_path"),
        pl.col("_line_number").alias("line_number"),
        "rule",
        "all_rules",
        "severity",
        pl.col("_raw_record").alias("raw_record"),
        pl.col("_batch_id").alias("batch_id"),
        pl.lit(now).alias("quarantined_at"),
        pl.col("_bad_values").map_elements(mask_pii, return_dtype=pl.String).alias("detail"),
    )


def _file_counts(pending: list[str], batch: CheckedBatch | None) -> pl.DataFrame:
    """Per pending file: accepted, quarantined and duplicate rows, and the critical rule if
    rejected (an empty file has zeros)."""
    out = pl.DataFrame({"_file_path": pending}, schema={"_file_path": pl.String})
    empty = pl.DataFrame(schema={"_file_path": pl.String, "rule": pl.String, "severity": pl.String})
    accepted = batch.accepted if batch else empty
    quarantined = batch.quarantined if batch else empty
    duplicates = batch.duplicates if batch else empty

    def count(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.group_by("_file_path").agg(pl.len().cast(pl.Int64).alias(name))

    rejected = (
        quarantined.filter(pl.col("severity") == "critical")
        .group_by("_file_path")
        .agg(pl.col("rule").first().alias("rejected_rule"))
    )
    for frame, name in (
        (accepted, "rows_accepted"),
        (quarantined, "rows_quarantined"),
        (duplicates, "rows_duplicate"),
    ):
        out = out.join(count(frame, name), on="_file_path", how="left")
    out = out.join(rejected, on="_file_path", how="left")
    return out.with_columns(
        pl.col("rows_accepted", "rows_quarantined", "rows_duplicate").fill_null(0)
    )


def _critical_problems(feed: str, batch: CheckedBatch) -> list[str]:
    """Readable lines naming file, column and rule for every file a critical rule rejected."""
    lines = []
    for outcome in batch.outcomes:
        if outcome.success or outcome.severity != "critical":
            continue
        failing = batch.typed.filter(pl.col("_row_id").is_in(list(outcome.row_ids)))
        by_file = failing.group_by("_file_path").agg(pl.len(), pl.col("_missing_required").first())
        for path, n, missing in by_file.sort("_file_path").iter_rows():
            detail = f" (missing required column(s): {missing})" if missing else ""
            lines.append(f"{path}: rule {outcome.rule} failed on {n} row(s){detail}")
        if not outcome.row_ids:
            lines.append(f"feed {feed}: rule {outcome.rule} failed for the batch")
    lines += [f"{path}: rejected by {rule}" for path, rule in sorted(batch.rejected_files.items())]
    return lines


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
