"""A feed's pending batch, checked in bounded memory, whatever its size.

The batch stays in DuckDB, which works out of core; Python only ever holds one chunk:
1. `type_rows`: chunk by chunk (at most `validate_chunk_rows` rows at a time), each raw
   row gets a `_row_id` (in partition, file and line order) and the MD5 of its contract values
   as landed text (`_row_hash`; a damaged record's: of its raw record); Polars types the text
   to the contract and adds the derived check columns that need only the row itself.
2. `flag_rows`: in SQL over the whole batch, the checks that need other rows: a GPS fix's
   implied speed from its device's neighbours (`_implied_speed_kmh`, across chunk and file
   boundaries) and exact duplicates of an earlier row of the batch or of an accepted row.
3. `run_chunks`: the GX checkpoint runs on each chunk of the unique rows. Chunks are hash
   partitions of `(file, key)`, so every group the compound-unique rule compares lies in one
   chunk and the per-chunk results add up to the whole batch's. Failing rows' ids go to a DuckDB
   table, never to a Python set.
4. `decide_rows`: each failing row's rule, all its rules and gravest severity, in SQL.
"""

from __future__ import annotations

import logging
import math

import polars as pl

from beatbrief.feeds import FeedSchema
from expectations.checks import EARTH_RADIUS_M, add_check_columns, check_columns
from expectations.gx import RuleOutcome, run_suite
from transforms import warehouse
from transforms.casting import cast_to_contract

log = logging.getLogger(__name__)

TYPED = "_typed_rows"  # typed, with the row-local derived columns
CHECKED = "_checked_rows"  # plus the whole-batch derived columns and the duplicate flag
HITS = "_rule_hits"  # one row per failing row and (warning or critical) rule
VERDICTS = "_row_verdicts"  # one row per quarantined row
# columns GX needs besides the contract's (the raw record never enters GX)
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


def _idents(names) -> str:
    """Quoted column names (contract names only, never input)."""
    return ", ".join(f'"{name}"' for name in names)


def count_rows(con, schema: FeedSchema) -> int:
    """Rows in the feed's pending batch."""
    return con.execute(f"select count(*) from {warehouse.raw_table(schema.feed)}").fetchall()[0][0]


def type_rows(con, schema: FeedSchema, params: dict, rows: int, chunk_rows: int) -> None:
    """TYPED: the raw batch typed to the contract, read chunk by chunk (small files together,
    a large file `chunk_rows` lines at a time, in partition, file and line order), each row numbered
    (`_row_id`) and hashed (`_row_hash`: the MD5 of its contract values as landed text), with
    the derived check columns that need only the row itself."""
    raw = warehouse.raw_table(schema.feed)
    landed = ", ".join(f"'{name}': \"{name}\"" for name in schema.names)
    files = con.execute(
        f"select _file_path, min(_line_number), max(_line_number), count(*) from {raw} "
        "group by _partition_date, _file_path order by _partition_date, _file_path"
    ).fetchall()
    con.execute(f"drop table if exists {TYPED}")
    done = 0
    for paths, start, end in _chunks(files, chunk_rows):
        chunk = con.sql(
            f"select {_ROW_HASH.format(landed=landed)} as _row_hash, * exclude (_raw_record) "
            f"from {raw} where _file_path in (select unnest($paths)) "
            "and _line_number >= $start and _line_number < $end "
            "order by _partition_date, _file_path, _line_number",
            params={"paths": paths, "start": start, "end": end},
        ).pl()
        if not chunk.height:
            continue
        chunk = chunk.with_row_index("_row_id", offset=done).with_columns(
            pl.col("_row_id").cast(pl.Int64)
        )
        typed = add_check_columns(cast_to_contract(chunk, schema), schema, params)
        _append(con, TYPED, typed, create=done == 0)
        done += chunk.height
        log.info("%s: typed %d of %d rows", schema.feed, done, rows)


# A row's hash: its contract values as landed text. A damaged record (one that could not be split
# into fields, `_malformed`) has no values, so it is hashed by its raw record (its file and line
# when the raw record is deferred): two different damaged records are never "duplicates".
_ROW_HASH = (
    "md5(case when _malformed is null then cast(to_json({{{landed}}}) as varchar) "
    "else 'malformed:' || coalesce(_raw_record, _file_path || ':' || _line_number) end)"
)


def _chunks(files: list[tuple], chunk_rows: int):
    """(file paths, first line, end line) of each typing chunk, in file order: small files
    together up to `chunk_rows` rows, a large file alone in ranges of `chunk_rows` lines."""
    group: list[str] = []
    size = 0
    for path, first, last, count in files:
        if count > chunk_rows:
            if group:
                yield group, 0, 1 << 62
                group, size = [], 0
            for start in range(first, last + 1, chunk_rows):
                yield [path], start, start + chunk_rows
            continue
        if size + count > chunk_rows and group:
            yield group, 0, 1 << 62
            group, size = [], 0
        group.append(path)
        size += count
    if group:
        yield group, 0, 1 << 62


def _append(con, table: str, frame: pl.DataFrame, create: bool) -> None:
    """Append a frame to a scratch table, creating it from the frame the first time."""
    con.register("_chunk", frame)
    try:
        if create:
            # a table in the warehouse file, not a temp table: DuckDB stores it compressed,
            # where a temp table spills uncompressed (about 30 GB for a province's pings)
            con.execute(f"create or replace table {table} as select * from _chunk")
        else:
            con.execute(f"insert into {table} by name select * from _chunk")
    finally:
        con.unregister("_chunk")


def flag_rows(con, schema: FeedSchema, chunk_rows: int) -> tuple[int, int, int]:
    """CHECKED: TYPED plus the whole-batch checks (the window functions run on a narrow
    projection) and each unique row's GX chunk (`_chunk`, a hash partition of file and key);
    return (unique rows, duplicates, chunks)."""
    accepted = warehouse.accepted_table(schema.feed)
    if schema.group == "reference":  # a full copy repeats only rows of its own delivery
        key = "_row_hash || cast(_partition_date as varchar)"
    else:
        key = "_row_hash"
    pings = "_implied_speed_kmh" in check_columns(schema)
    located = f", device_id, pinged_at, {_metres(con)}" if pings else ""
    speed = f"{_implied_speed_sql()}," if pings else ""
    con.execute(
        f"""
        create or replace table _row_flags as
        with narrow as (select _row_id, {key} as dedup_key{located} from {TYPED})
        select
            _row_id,{speed}
            row_number() over (partition by dedup_key order by _row_id) > 1
                or dedup_key in (select {key} from {accepted}) as _duplicate
        from narrow
        """
    )
    unique, duplicates = con.execute(
        "select count(*) filter (not _duplicate), count(*) filter (_duplicate) from _row_flags"
    ).fetchall()[0]
    chunks = chunk_count(unique, chunk_rows)
    partition = _idents(["_file_path", *schema.key])
    con.execute(
        f"""
        create or replace table {CHECKED} as
        select
            typed.*,
            flags.* exclude (_row_id),
            case when not flags._duplicate then hash({partition}) % {chunks} end as _chunk
        from {TYPED} as typed inner join _row_flags as flags using (_row_id)
        """
    )
    for table in (TYPED, "_row_flags"):
        con.execute(f"drop table {table}")
    return unique, duplicates, chunks


def _metres(con) -> str:
    """x and y in metres on a plane through the batch's median latitude."""
    (median_lat,) = con.execute(f"select median(lat) from {TYPED}").fetchall()[0]
    scale = math.cos(math.radians(float(median_lat or 0.0)))
    return f"radians(lon) * {EARTH_RADIUS_M} * {scale!r} as x, radians(lat) * {EARTH_RADIUS_M} as y"


def _implied_speed_sql() -> str:
    """`<expr> as _implied_speed_kmh`: each fix's speed from its previous and to its next fix of
    the same device (km/h, the smaller of the two), over the whole batch. A lone jump away and
    back (a "teleport") is fast both ways; a real move is not. Two fixes in the same instant at
    different places are infinitely fast; a device's first and last fix get 0. The rule is the
    macros of transforms/macros/gps.sql, which int_patrol_pings applies too."""
    window = "(partition by device_id order by pinged_at nulls first, _row_id)"

    def speed(step: str) -> str:
        return (
            f"implied_speed_kmh(x - {step}(x) over {window}, y - {step}(y) over {window}, "
            f"abs(epoch_us(pinged_at) - {step}(epoch_us(pinged_at)) over {window}) / 1e6)"
        )

    return f"\n            gps_fix_speed_kmh({speed('lag')}, {speed('lead')}) as _implied_speed_kmh"


def chunk_count(unique: int, chunk_rows: int) -> int:
    """How many GX chunks the unique rows need (at least one, so an empty batch is judged)."""
    return max(1, math.ceil(unique / chunk_rows))


def run_chunks(
    con, checkpoint, schema: FeedSchema, params: dict, chunks: int, run_name: str
) -> list[RuleOutcome]:
    """Run the checkpoint on each hash-partitioned chunk of the unique rows; failing rows' ids
    go to HITS. Return one outcome per expectation, summed over the chunks."""
    checked = [c.name for c in schema.columns if not c.pii]  # personal columns never enter GX
    columns = _idents([*checked, *CHECK_COLUMNS, *check_columns(schema)])
    con.execute(
        f"create or replace temp table {HITS} "
        "(_row_id bigint, rule_order integer, rule varchar, severity varchar)"
    )
    merged: list[RuleOutcome] = []
    for index in range(chunks):
        frame = con.sql(
            f"select {columns} from {CHECKED} where _chunk = $index order by _row_id",
            params={"index": index},
        ).pl()
        outcomes = run_suite(checkpoint, frame, params, f"{run_name}-{index + 1}-of-{chunks}")
        for order, outcome in enumerate(outcomes):
            if outcome.row_ids and not outcome.success and outcome.severity != "info":
                hits = pl.DataFrame(
                    {"_row_id": sorted(outcome.row_ids)}, schema={"_row_id": pl.Int64}
                ).with_columns(
                    pl.lit(order, dtype=pl.Int32).alias("rule_order"),
                    pl.lit(outcome.rule).alias("rule"),
                    pl.lit(outcome.severity).alias("severity"),
                )
                warehouse.append_frame(con, HITS, hits)
        merged = (
            outcomes if not merged else [_add(a, b) for a, b in zip(merged, outcomes, strict=True)]
        )
        log.info("%s: checked chunk %d of %d (%d rows)", schema.feed, index + 1, chunks, len(frame))
    for outcome in merged:
        outcome.row_ids = set()
    return merged


def _add(total: RuleOutcome, more: RuleOutcome) -> RuleOutcome:
    """Two chunks' outcomes of one expectation, as one."""
    return RuleOutcome(
        rule=total.rule,
        severity=total.severity,
        success=total.success and more.success,
        unexpected_count=total.unexpected_count + more.unexpected_count,
        element_count=(total.element_count or 0) + (more.element_count or 0),
        notes=total.notes,
    )


def decide_rows(con, rejected_files: dict[str, str]) -> None:
    """VERDICTS: each failing row's first rule, all its rules (in suite order, each once) and
    its gravest severity. A critical rule rejects whole files: every unique row of a file it
    names is included under it, and so is every row of the files in `rejected_files`
    (file -> health rule), which come first."""
    con.execute("create or replace temp table _rejected_files (_file_path varchar, rule varchar)")
    if rejected_files:
        con.executemany("insert into _rejected_files values (?, ?)", sorted(rejected_files.items()))
    con.execute(
        f"""
        create or replace temp table {VERDICTS} as
        with critical_files as (
            select _file_path, arg_min(rule, priority) as rule
            from (
                select _file_path, rule, -1 as priority from _rejected_files
                union all
                select checked._file_path, hits.rule, hits.rule_order
                from {HITS} as hits inner join {CHECKED} as checked using (_row_id)
                where hits.severity = 'critical'
            )
            group by _file_path
        ),
        row_rules as (
            select _row_id, rule, rule_order, severity from {HITS} where severity = 'warning'
            union all
            select checked._row_id, critical_files.rule, -1, 'critical'
            from {CHECKED} as checked inner join critical_files using (_file_path)
            where not checked._duplicate
        ),
        each_rule as (
            select _row_id, rule, min(rule_order) as first_order, min(severity) as severity
            from row_rules group by _row_id, rule
        )
        select
            _row_id,
            arg_min(rule, first_order) as rule,
            string_agg(rule, '; ' order by first_order) as all_rules,
            min(severity) as severity
        from each_rule
        group by _row_id
        """
    )


def critical_problems(con, feed: str, outcomes: list[RuleOutcome]) -> list[str]:
    """Readable lines naming file, column and rule for every file a critical rule failed in."""
    lines = []
    for outcome in outcomes:
        if outcome.success or outcome.severity != "critical":
            continue
        found = con.execute(
            f"""
            select checked._file_path, count(*), min(checked._missing_required)
            from {HITS} as hits inner join {CHECKED} as checked using (_row_id)
            where hits.rule = ? group by 1 order by 1
            """,
            [outcome.rule],
        ).fetchall()
        for path, n, missing in found:
            detail = f" (missing required column(s): {missing})" if missing else ""
            lines.append(f"{path}: rule {outcome.rule} failed on {n} row(s){detail}")
        if not found:
            lines.append(f"feed {feed}: rule {outcome.rule} failed for the batch")
    return lines


def drop_batch_tables(con) -> None:
    """Drop the batch's scratch tables."""
    for table in (TYPED, "_row_flags", CHECKED, HITS, VERDICTS, "_rejected_files"):
        con.execute(f"drop table if exists {table}")
