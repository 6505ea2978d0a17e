"""A feed's health for the day, checked by its `<feed>_health` GX suite (batch-level, critical).

Freshness: the newest partition may be at most `max_age_days` old (0 for daily feeds: the
day's partition must be there). Volume: the rows delivered for the day, against the median of
the trailing days that had a delivery, must lie within [volume_min_ratio, volume_max_ratio].
Reference deliveries are full copies: the newest pending one may drop at most
`reference_max_key_drop` of the keys of the delivery before it.
"""

from __future__ import annotations

from datetime import date, timedelta

import great_expectations.expectations as gxe
import polars as pl

from beatbrief.config import Settings
from beatbrief.feeds import FeedSchema
from transforms import warehouse

CRITICAL = "critical"


def feed_health(con, settings: Settings, schema: FeedSchema, as_of: date) -> pl.DataFrame:
    """One row: the day's delivered rows, the trailing median, their ratio, and freshness.

    Counts come from load_manifest, which lists every file read (pending ones included)."""
    since = as_of - timedelta(days=settings.volume_trailing_days)
    rows = con.execute(
        """
        with daily_rows as (
            select partition_date, sum(rows_read) as rows_read
            from load_manifest
            where feed = ? and partition_date <= ?
            group by partition_date
        ),
        trailing_days as (
            select median(rows_read) as trailing_median_rows
            from daily_rows
            where partition_date >= ? and partition_date < ?
        )
        select
            coalesce((select rows_read from daily_rows where partition_date = ?), 0) as rows_today,
            (select trailing_median_rows from trailing_days) as trailing_median_rows,
            (select max(partition_date) from daily_rows) as latest_partition
        """,
        [schema.feed, as_of, since, as_of, as_of],
    ).fetchall()[0]
    rows_today, median, latest = rows
    delivery, previous_keys, dropped = (
        reference_key_drop(con, schema) if schema.group == "reference" else (None, None, None)
    )
    return pl.DataFrame(
        {
            "_row_id": [0],
            "feed": [schema.feed],
            "as_of_date": [as_of],
            "rows_today": [int(rows_today)],
            "trailing_median_rows": [None if median is None else float(median)],
            "volume_ratio": [None if not median else rows_today / float(median)],
            "latest_partition": [latest],
            "days_since_latest_partition": [None if latest is None else (as_of - latest).days],
            "delivery_partition": [delivery],
            "previous_delivery_keys": [previous_keys],
            "delivery_keys_dropped": [dropped],
            "key_drop_share": [dropped / previous_keys if previous_keys else None],
        },
        schema={
            "_row_id": pl.Int64,
            "feed": pl.String,
            "as_of_date": pl.Date,
            "rows_today": pl.Int64,
            "trailing_median_rows": pl.Float64,
            "volume_ratio": pl.Float64,
            "latest_partition": pl.Date,
            "days_since_latest_partition": pl.Int64,
            "delivery_partition": pl.Date,
            "previous_delivery_keys": pl.Int64,
            "delivery_keys_dropped": pl.Int64,
            "key_drop_share": pl.Float64,
        },
    )


def reference_key_drop(con, schema: FeedSchema) -> tuple[date | None, int | None, int | None]:
    """The newest pending delivery of a reference feed, the number of keys of the delivery
    before it, and how many of those the new one lacks (None when there is nothing to compare)."""
    raw, accepted = warehouse.raw_table(schema.feed), warehouse.accepted_table(schema.feed)
    key = ", ".join(f'"{k}"' for k in schema.key)  # contract names, never input
    row = con.execute(
        f"""
        with new_delivery as (
            select max(_partition_date) as partition_date from {raw}
        ),
        previous_delivery as (
            select max(_partition_date) as partition_date
            from (
                select _partition_date from {raw}
                union all
                select _partition_date from {accepted}
            )
            where _partition_date < (select partition_date from new_delivery)
        ),
        new_keys as (
            select distinct {key} from {raw}
            where _partition_date = (select partition_date from new_delivery)
        ),
        previous_keys as (
            select {key} from {accepted}
            where _partition_date = (select partition_date from previous_delivery)
            union
            select {key} from {raw}
            where _partition_date = (select partition_date from previous_delivery)
        )
        select
            (select partition_date from new_delivery),
            (select count(*) from previous_keys),
            (select count(*) from (from previous_keys except from new_keys))
        """
    ).fetchall()[0]
    delivery, previous, dropped = row
    return (delivery, previous or None, dropped) if previous else (delivery, None, None)


def health_suite(schema: FeedSchema):
    """The feed's health suite: delivered at all, fresh enough, and (daily feeds) enough rows."""
    import great_expectations as gx

    rules = [
        gxe.ExpectColumnValuesToNotBeNull(
            column="latest_partition",
            severity=CRITICAL,
            notes="the feed has delivered at least one partition up to the day",
        )
    ]
    if schema.max_age_days is not None:
        rules.append(
            gxe.ExpectColumnValuesToBeBetween(
                column="days_since_latest_partition",
                min_value=0,
                max_value=schema.max_age_days,
                severity=CRITICAL,
                notes=f"freshness: the newest partition is at most {schema.max_age_days} days old",
            )
        )
    if schema.volume_check:
        rules.append(
            gxe.ExpectColumnValuesToBeBetween(
                column="volume_ratio",
                min_value={"$PARAMETER": "volume_min_ratio"},
                max_value={"$PARAMETER": "volume_max_ratio"},
                severity=CRITICAL,
                notes="volume: the day's rows against the median of the trailing days",
            )
        )
    if schema.group == "reference":
        rules.append(
            gxe.ExpectColumnValuesToBeBetween(
                column="key_drop_share",
                min_value=0,
                max_value={"$PARAMETER": "reference_max_key_drop"},
                severity=CRITICAL,
                notes="a full reference delivery keeps the keys of the one before it "
                "(at most reference_max_key_drop of them may go)",
            )
        )
    return gx.ExpectationSuite(name=f"{schema.feed}_health", expectations=rules)
