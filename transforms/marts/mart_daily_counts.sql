-- model: mart_daily_counts
-- grain: one row per as_of_date, scope ('region', 'bureau' or 'station'), scope_id and category
-- ('all' holds the total); counts are by reported date (Beijing time); the region (scope_id
-- 'all') is every bureau of the warehouse: cases whose station has a bureau
-- key: as_of_date, scope, scope_id, category
-- materialized: incremental
-- parameters: $as_of_date
with

params as (
    select cast($as_of_date as date) as as_of_date
),

cases as (
    select
        stg_cases.station_id,
        stg_cases.category,
        stg_cases.reported_date
    from stg_cases
    cross join params
    where stg_cases.reported_date between params.as_of_date - 7 and params.as_of_date
),

stations as (
    select
        station_id,
        bureau_id
    from stg_stations
),

scoped as (
    select
        'station' as scope,
        station_id as scope_id,
        category,
        reported_date
    from cases
    union all
    select
        'bureau' as scope,
        stations.bureau_id as scope_id,
        cases.category,
        cases.reported_date
    from cases
    inner join stations on cases.station_id = stations.station_id
    union all
    select
        'region' as scope,
        'all' as scope_id,
        cases.category,
        cases.reported_date
    from cases
    inner join stations on cases.station_id = stations.station_id
    where stations.bureau_id is not null
),

with_total as (
    select * from scoped
    union all
    select
        scope,
        scope_id,
        'all' as category,
        reported_date
    from scoped
),

counts as (
    select
        with_total.scope,
        with_total.scope_id,
        with_total.category,
        count(*) filter (where with_total.reported_date = params.as_of_date) as day_count,
        count(*) filter (where with_total.reported_date < params.as_of_date) as previous_7d_count
    from with_total
    cross join params
    group by all
),

final as (
    select
        params.as_of_date,
        counts.scope,
        counts.scope_id,
        counts.category,
        -- measures
        counts.day_count,
        counts.previous_7d_count,
        counts.previous_7d_count / 7.0 as previous_7d_daily_avg
    from counts
    cross join params
)

select * from final
