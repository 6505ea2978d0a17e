-- model: mart_province_months
-- grain: one row per bureau of the province (and 'all', the province) and calendar month of
-- the case history, up to the month of $as_of_date
-- key: bureau_id, month
-- materialized: table
-- parameters: $as_of_date
--
-- The province commander view's months: each bureau's cases per calendar month, summed from
-- the daily series its own warehouse counts (mart_case_series, dimension 'total', by reported
-- date in Beijing time), and the province's as the sum of its bureaus'.
-- - days: the days of the month in the bureau's series (fewer than the month's length for the
--   history's first month and for the month of $as_of_date, which runs to that day).
-- - cases_last_year: the same month a year before, over the same days of the month only (so a
--   month still running compares with the same part of last year's); null where the series
--   does not reach back that far.
-- - change_pct: 100 x (cases - cases_last_year) / cases_last_year; null without a last year or
--   when it had no case.
with

params as (
    select cast($as_of_date as date) as as_of_date
),

daily as (
    select
        s.bureau_key as bureau_id,
        s.reported_date,
        s.cases
    from bureau_mart_case_series as s
    cross join params
    where
        s.dimension = 'total'
        and s.reported_date <= params.as_of_date
),

both_levels as (
    select
        bureau_id,
        reported_date,
        cases
    from daily
    union all
    select
        'all' as bureau_id,
        reported_date,
        sum(cases) as cases
    from daily
    group by reported_date
),

months as (
    select
        bureau_id,
        cast(date_trunc('month', reported_date) as date) as month,
        count(*) as days,
        cast(sum(cases) as bigint) as cases,
        min(extract(day from reported_date)) as first_day,
        max(extract(day from reported_date)) as last_day
    from both_levels
    group by all
),

last_year as (
    select
        m.bureau_id,
        m.month,
        cast(sum(b.cases) as bigint) as cases_last_year,
        count(b.cases) as days_last_year
    from months as m
    inner join both_levels as b
        on
            m.bureau_id = b.bureau_id
            and cast(date_trunc('month', b.reported_date) as date)
            = cast(m.month - interval 1 year as date)
            and extract(day from b.reported_date) between m.first_day and m.last_day
    group by m.bureau_id, m.month
)

select
    months.bureau_id,
    months.month,
    months.days,
    months.cases,
    case when last_year.days_last_year = months.days then last_year.cases_last_year end
        as cases_last_year,
    case
        when last_year.days_last_year = months.days and last_year.cases_last_year > 0
            then
                100.0 * (months.cases - last_year.cases_last_year)
                / last_year.cases_last_year
    end as change_pct
from months
left join last_year
    on months.bureau_id = last_year.bureau_id and months.month = last_year.month
