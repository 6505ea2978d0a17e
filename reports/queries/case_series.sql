-- query: case_series
-- the commander view's daily series: mart_case_series from $start_date to $as_of_date, for each
-- (dimension, category) with a case in that span, with the rolling 28-day count and its band
-- parameters: $as_of_date, $start_date
-- used by: the commander view (reports/trends.py, reports/series.py)
with

shown as (
    select distinct
        dimension,
        category
    from mart_case_series
    where reported_date between $start_date and $as_of_date and cases > 0
)

select
    mart_case_series.dimension,
    mart_case_series.category,
    mart_case_series.reported_date,
    mart_case_series.cases,
    mart_case_series.rolling_28d,
    mart_case_series.band_mean,
    mart_case_series.band_lower,
    mart_case_series.band_upper
from mart_case_series
inner join shown
    on
        mart_case_series.dimension = shown.dimension
        and mart_case_series.category = shown.category
where mart_case_series.reported_date between $start_date and $as_of_date
order by
    mart_case_series.dimension, mart_case_series.category, mart_case_series.reported_date
