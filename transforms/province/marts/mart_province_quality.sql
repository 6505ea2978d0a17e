-- model: mart_province_quality
-- grain: one row per as_of_date and bureau of the routed station references, plus one row
-- (bureau_id 'province') for what routing itself kept back
-- key: as_of_date, bureau_id
-- materialized: incremental
-- parameters: $as_of_date, $feed_count (the number of feeds, 7)
--
-- Whether each bureau's day is complete, for the province page's banner and its quality table.
-- - run_status: 'missing' when the bureau has no marts for the day (its run failed before its
--   transform finished, or never ran), 'incomplete' when a feed failed or was not validated
--   for the day (feed_status), else 'complete'. A bureau that is not complete is named on the
--   province page and its figures are marked incomplete.
-- - failed_feeds: the feeds not 'ok', comma-separated; problems: their problems, one per line.
-- - rows_*: the bureau's rows of the files loaded in the day's partition, as its load_manifest
--   accounts for them; for 'province', rows_read are the rows routed from the day's partition
--   and rows_quarantined those no bureau could take (route_station_known, route_bureau_id_safe).
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($feed_count as integer) as feed_count
),

bureaus as (
    select distinct bureau_id from route_stations
),

feeds as (
    select
        s.bureau_key as bureau_id,
        count(*) as feeds_checked,
        string_agg(s.feed, ', ' order by s.feed) filter (where s.status <> 'ok') as failed_feeds,
        string_agg(
            s.feed || ': ' || coalesce(s.problems, s.status), chr(10) order by s.feed
        ) filter (where s.status <> 'ok') as problems
    from bureau_feed_status as s
    cross join params
    where s.as_of_date = params.as_of_date
    group by s.bureau_key
),

built as (
    select distinct b.bureau_key as bureau_id
    from bureau_mart_builds as b
    cross join params
    where b.as_of_date = params.as_of_date
),

loaded as (
    select
        m.bureau_key as bureau_id,
        cast(sum(m.rows_read) as bigint) as rows_read,
        cast(sum(m.rows_accepted) as bigint) as rows_accepted,
        cast(sum(m.rows_quarantined) as bigint) as rows_quarantined,
        cast(sum(m.rows_duplicate) as bigint) as rows_duplicate
    from bureau_load_manifest as m
    cross join params
    where m.partition_date = params.as_of_date
    group by m.bureau_key
),

names as (
    select
        bureau_key as bureau_id,
        min(bureau_name) as bureau_name
    from bureau_dim_stations
    group by bureau_key
),

per_bureau as (
    select
        params.as_of_date,
        bureaus.bureau_id,
        names.bureau_name,
        case
            when built.bureau_id is null then 'missing'
            when
                feeds.failed_feeds is not null
                or coalesce(feeds.feeds_checked, 0) < params.feed_count
                then 'incomplete'
            else 'complete'
        end as run_status,
        feeds.failed_feeds,
        feeds.problems,
        coalesce(loaded.rows_read, 0) as rows_read,
        coalesce(loaded.rows_accepted, 0) as rows_accepted,
        coalesce(loaded.rows_quarantined, 0) as rows_quarantined,
        coalesce(loaded.rows_duplicate, 0) as rows_duplicate
    from bureaus
    cross join params
    left join names on bureaus.bureau_id = names.bureau_id
    left join feeds on bureaus.bureau_id = feeds.bureau_id
    left join built on bureaus.bureau_id = built.bureau_id
    left join loaded on bureaus.bureau_id = loaded.bureau_id
),

routing as (
    select
        params.as_of_date,
        'province' as bureau_id,
        cast(null as varchar) as bureau_name,
        case
            when count(*) filter (where r.status = 'rejected') > 0 then 'incomplete'
            else 'complete'
        end as run_status,
        string_agg(distinct r.feed, ', ' order by r.feed) filter (where r.status = 'rejected')
            as failed_feeds,
        string_agg(r.error, chr(10) order by r.file_path) filter (where r.status = 'rejected')
            as problems,
        cast(coalesce(sum(r.rows_read), 0) as bigint) as rows_read,
        cast(coalesce(sum(r.rows_read - r.rows_unrouted), 0) as bigint) as rows_accepted,
        cast(coalesce(sum(r.rows_unrouted), 0) as bigint) as rows_quarantined,
        cast(0 as bigint) as rows_duplicate
    from params
    left join route_manifest as r on params.as_of_date = r.partition_date
    group by params.as_of_date
)

select * from per_bureau
union all
select * from routing
