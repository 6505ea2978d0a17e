-- model: mart_case_series
-- grain: one row per dimension ('total', 'kind', 'category'), category and reported date, every
-- day from the first day of the warehouse's case history to $loaded_through (zeros included),
-- for the region: every case whose station has a bureau
-- key: dimension, category, reported_date
-- materialized: table
-- parameters: $loaded_through (the run's date)
--
-- The commander view's trend lines: mart_trends keeps one snapshot per as_of_date, so a
-- warehouse loaded with history has no per-day mart rows for the days before it started to run;
-- this series is counted from stg_cases (by reported date, Beijing time, as every mart counts),
-- the same cases mart_trends counts, and rebuilt whole on every run. A (dimension, category)
-- appears once it has a case; dimension 'total' has category 'all'.
-- - cases: the day's cases.
-- - rolling_28d: the cases of the 28 days ending that day; null for the history's first 27 days.
-- - baseline_days: the days of the baseline year behind it that lie in the history: the 365 days
--   ending 28 days before the day (so the band never contains the 28 days it judges).
-- - band_mean = the baseline's mean daily count x 28; band_lower = max(0, mean - 2 sqrt(mean)),
--   band_upper = mean + 2 sqrt(mean): the Poisson band of a 28-day count. Null where fewer than
--   182 baseline days (half a year) are in the history.
with

params as (
    select cast($loaded_through as date) as last_date
),

cases as (
    select
        stg_cases.kind,
        stg_cases.category,
        stg_cases.reported_date
    from stg_cases
    inner join stg_stations on stg_cases.station_id = stg_stations.station_id
    cross join params
    where stg_stations.bureau_id is not null and stg_cases.reported_date <= params.last_date
),

history as (
    select min(reported_date) as first_date from stg_cases
),

dimensioned as (
    select
        'total' as dimension,
        'all' as category,
        reported_date
    from cases
    union all
    select
        'kind' as dimension,
        kind as category,
        reported_date
    from cases
    union all
    select
        'category' as dimension,
        category,
        reported_date
    from cases
),

counts as (
    select
        dimension,
        category,
        reported_date,
        count(*) as cases
    from dimensioned
    group by all
),

series_keys as (
    select distinct
        dimension,
        category
    from counts
),

days as (
    select cast(d.day as date) as reported_date
    from history
    cross join params
    cross join range(history.first_date, params.last_date + 1, interval 1 day) as d (day)
),

grid as (
    select
        series_keys.dimension,
        series_keys.category,
        days.reported_date,
        coalesce(counts.cases, 0) as cases
    from series_keys
    cross join days
    left join counts
        on
            series_keys.dimension = counts.dimension
            and series_keys.category = counts.category
            and days.reported_date = counts.reported_date
),

windowed as (
    select
        *,
        row_number() over by_day as day_number,
        sum(cases) over (by_day rows between 27 preceding and current row) as cases_28d,
        sum(cases) over (by_day rows between 392 preceding and 28 preceding) as baseline_cases,
        count(*) over (by_day rows between 392 preceding and 28 preceding) as baseline_days
    from grid
    window by_day as (partition by dimension, category order by reported_date)
),

banded as (
    select
        *,
        case
            when baseline_days >= 182
                then cast(baseline_cases as double) / baseline_days * 28
        end as band_mean
    from windowed
),

final as (
    select
        dimension,
        category,
        reported_date,
        cases,
        case when day_number >= 28 then cast(cases_28d as bigint) end as rolling_28d,
        cast(baseline_days as integer) as baseline_days,
        band_mean,
        -- greatest() skips nulls: no band, no lower edge
        case when band_mean is not null then greatest(0.0, band_mean - 2 * sqrt(band_mean)) end
            as band_lower,
        band_mean + 2 * sqrt(band_mean) as band_upper
    from banded
)

select * from final
