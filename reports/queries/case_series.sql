-- query: case_series
-- one row per bureau, dimension ('total', 'kind', 'category'), category and reported date with
-- at least one case, from $start_date to $as_of_date (days without a case have no row)
-- parameters: $as_of_date, $start_date
--
-- The commander view's trend lines need the daily counts of the past years. mart_trends keeps
-- one snapshot per as_of_date (its 1d, 7d, 28d and ytd windows), so a warehouse loaded with
-- history has no per-day mart rows for the days before it started to run; the series is
-- therefore counted here from stg_cases (by reported date, Beijing time, as every mart counts),
-- the same cases mart_trends counts. A candidate for a mart (mart_case_series) of its own.
with

cases as (
    select
        stg_stations.bureau_id,
        stg_cases.kind,
        stg_cases.category,
        stg_cases.reported_date
    from stg_cases
    inner join stg_stations on stg_cases.station_id = stg_stations.station_id
    where stg_cases.reported_date between $start_date and $as_of_date
),

dimensions as (
    select
        bureau_id,
        'total' as dimension,
        'all' as category,
        reported_date
    from cases
    union all
    select
        bureau_id,
        'kind' as dimension,
        kind as category,
        reported_date
    from cases
    union all
    select
        bureau_id,
        'category' as dimension,
        category,
        reported_date
    from cases
),

final as (
    select
        bureau_id,
        dimension,
        category,
        reported_date,
        count(*) as cases
    from dimensions
    group by all
)

select * from final
order by bureau_id, dimension, category, reported_date
