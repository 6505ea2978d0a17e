-- query: stale_mart_dates
-- one row per earlier as_of_date (within $lookback_days before $as_of_date) whose marts were
-- built before a late-arriving case for a date they cover was delivered.
-- A late-arriving case is one first delivered after the day it was reported; its marts are
-- those whose trailing windows reach back to its reported date (within the lookback).
-- Status-only updates of known cases do not make history stale: they show in today's marts.
-- parameters: $as_of_date, $loaded_through, $lookback_days
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($loaded_through as date) as loaded_through,
        cast($lookback_days as integer) as lookback_days
),

first_records as (
    select
        case_id,
        min(_partition_date) as first_delivered,
        min(cast(reported_at as date)) as reported_date
    from accepted_cases
    group by case_id
),

late_cases as (
    select first_records.*
    from first_records
    cross join params
    where
        first_records.first_delivered > first_records.reported_date
        and first_records.first_delivered <= params.loaded_through
),

final as (
    select distinct builds.as_of_date
    from mart_builds as builds
    cross join params
    inner join late_cases
        on
            builds.loaded_through < late_cases.first_delivered
            and builds.as_of_date >= late_cases.reported_date
    where
        builds.as_of_date < params.as_of_date
        and builds.as_of_date >= params.as_of_date - params.lookback_days
)

select * from final
order by as_of_date
