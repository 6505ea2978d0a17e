-- table: feed_status
-- grain: one row per as_of_date and feed: did the feed arrive whole for the day?
-- Written by every validate task (replaced on a re-run); read by the briefing's banner.
create table if not exists feed_status (
    as_of_date date not null,
    feed varchar not null,
    -- 'ok' or 'failed'
    status varchar not null,
    -- the batch-level problems, one per line, naming file, column and rule
    problems varchar,
    -- health figures
    rows_today bigint,
    trailing_median_rows double,
    volume_ratio double,
    latest_partition date,
    days_since_latest_partition integer,
    primary key (as_of_date, feed)
)
;
