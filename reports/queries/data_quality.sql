-- query: data_quality
-- one row per feed with a status for $as_of_date, a record quarantined from that day's
-- partition or a file loaded for a partition up to it: the feed's status and batch-level
-- problems and health figures (feed_status), the records quarantined today (quarantine) and
-- its row accounting over every partition up to $as_of_date (load_manifest)
-- parameters: $as_of_date
-- used by: section data_quality (reports/sections/data_quality.py, read once for the day's
--   banner, the section and the data-quality page)
with

status as (
    select
        feed,
        status,
        problems,
        rows_today,
        trailing_median_rows,
        latest_partition,
        days_since_latest_partition
    from feed_status
    where as_of_date = $as_of_date
),

quarantined as (
    select
        feed,
        count(*) as quarantined_today
    from quarantine
    where partition_date = $as_of_date
    group by feed
),

accounting as (
    select
        feed,
        count(*) as files,
        sum(rows_read) as rows_read,
        sum(rows_accepted) as rows_accepted,
        sum(rows_quarantined) as rows_quarantined,
        sum(rows_duplicate) as rows_duplicate
    from load_manifest
    where partition_date <= $as_of_date
    group by feed
),

feeds as (
    select feed from status
    union
    select feed from quarantined
    union
    select feed from accounting
),

final as (
    select
        -- ids
        feeds.feed,
        -- the day's verdict (null: the feed was not checked)
        status.status,
        status.problems,
        status.rows_today,
        status.trailing_median_rows,
        status.latest_partition,
        status.days_since_latest_partition,
        -- measures
        quarantined.quarantined_today,
        accounting.files,
        accounting.rows_read,
        accounting.rows_accepted,
        accounting.rows_quarantined,
        accounting.rows_duplicate
    from feeds
    left join status on feeds.feed = status.feed
    left join quarantined on feeds.feed = quarantined.feed
    left join accounting on feeds.feed = accounting.feed
)

select * from final
order by feed
