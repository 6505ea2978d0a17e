-- model: mart_time_profile
-- grain: one row per as_of_date, scope ('region', 'bureau' or 'station'), scope_id, weekday
-- (1 = Monday ... 7 = Sunday) and hour (0-23), every cell present, zeros included; the region
-- (scope_id 'all') is every bureau of the warehouse
-- key: as_of_date, scope, scope_id, weekday, hour
-- materialized: incremental
-- parameters: $as_of_date, $window_days, $aoristic_max_hours
--
-- Aoristic weights: each case reported in the trailing $window_days days ending $as_of_date
-- adds 1 in total, spread over the clock hours of its occurrence window in proportion to
-- the overlap. A window longer than $aoristic_max_hours is cut to its first
-- $aoristic_max_hours hours; a case without a window counts at its reported hour.
-- So the weights of a scope sum to its case count.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($window_days as integer) as window_days,
        cast($aoristic_max_hours as integer) as max_hours
),

stations as (
    select
        station_id,
        bureau_id
    from stg_stations
),

cases as (
    select
        stg_cases.case_id,
        stg_cases.station_id,
        stations.bureau_id,
        coalesce(stg_cases.occurred_from, stg_cases.occurred_to, stg_cases.reported_at)
            as window_start,
        coalesce(stg_cases.occurred_to, stg_cases.occurred_from, stg_cases.reported_at)
            as window_end_as_given
    from stg_cases
    inner join stations on stg_cases.station_id = stations.station_id
    cross join params
    where
        stg_cases.reported_date
        between params.as_of_date - params.window_days + 1 and params.as_of_date
),

windows as (
    select
        cases.case_id,
        cases.station_id,
        cases.bureau_id,
        cases.window_start,
        greatest(
            cases.window_start,
            least(cases.window_end_as_given, cases.window_start + to_hours(params.max_hours))
        ) as window_end
    from cases
    cross join params
),

case_hours as (
    select
        windows.*,
        unnest(generate_series(
            date_trunc('hour', windows.window_start),
            date_trunc('hour', windows.window_end),
            interval 1 hour
        )) as hour_start
    from windows
),

weights as (
    select
        station_id,
        bureau_id,
        hour_start,
        case
            when window_end = window_start then 1.0
            else epoch(
                least(window_end, hour_start + interval 1 hour) - greatest(window_start, hour_start)
            ) / epoch(window_end - window_start)
        end as weight
    from case_hours
),

scoped as (
    select
        'station' as scope,
        station_id as scope_id,
        hour_start,
        weight
    from weights
    union all
    select
        'bureau' as scope,
        bureau_id as scope_id,
        hour_start,
        weight
    from weights
    union all
    select
        'region' as scope,
        'all' as scope_id,
        hour_start,
        weight
    from weights
    where bureau_id is not null
),

summed as (
    select
        scope,
        scope_id,
        isodow(hour_start) as weekday,
        hour(hour_start) as hour,
        exact_sum(weight) as weight
    from scoped
    where weight > 0
    group by all
),

scopes as (
    select distinct
        'station' as scope,
        station_id as scope_id
    from stations
    union all
    select distinct
        'bureau' as scope,
        bureau_id as scope_id
    from stations
    union all
    select distinct
        'region' as scope,
        'all' as scope_id
    from stations
    where bureau_id is not null
),

cells as (
    select
        scopes.scope,
        scopes.scope_id,
        weekdays.weekday,
        hours.hour
    from scopes
    cross join range(1, 8) as weekdays (weekday)
    cross join range(0, 24) as hours (hour)
),

final as (
    select
        params.as_of_date,
        cells.scope,
        cells.scope_id,
        cast(cells.weekday as integer) as weekday,
        cast(cells.hour as integer) as hour,
        coalesce(summed.weight, 0.0) as weight
    from cells
    cross join params
    left join summed
        on
            cells.scope = summed.scope
            and cells.scope_id = summed.scope_id
            and cells.weekday = summed.weekday
            and cells.hour = summed.hour
)

select * from final
