-- query: case_series__months
-- the commander view's 13 months: one row per (dimension, category) of mart_case_series with a
-- case from $start_date to $as_of_date and per month (month_index 0 = 12 months back ... 12 =
-- the month of $as_of_date), its cases and those of the same dates a year earlier
-- parameters: $as_of_date, $start_date
-- used by: the commander view (reports/trends.py): the 13-month lines
--
-- The last month runs to $as_of_date's day, and its last-year month is cut at the same day
-- (Feb 29 -> Feb 28). A month (or last year's month) that starts before the warehouse's case
-- history is null: its count would be too low to compare with.
with

params as (
    select cast($as_of_date as date) as as_of_date
),

history as (
    select min(reported_date) as first_date from stg_cases
),

shown as (
    select distinct
        dimension,
        category
    from mart_case_series
    where reported_date between $start_date and $as_of_date and cases > 0
),

months as (
    select
        cast(12 - m.back as integer) as month_index,
        cast(date_trunc('month', params.as_of_date) - to_months(cast(m.back as integer)) as date)
            as month_start,
        case
            when m.back = 0 then params.as_of_date
            else
                cast(
                    date_trunc('month', params.as_of_date)
                    - to_months(cast(m.back as integer) - 1) - interval 1 day as date
                )
        end as month_end
    from params
    cross join range(0, 13) as m (back)
),

compared as (
    select
        month_index,
        month_start,
        month_end,
        cast(month_start - interval 1 year as date) as last_year_start,
        cast(month_end - interval 1 year as date) as last_year_end
    from months
),

final as (
    select
        shown.dimension,
        shown.category,
        compared.month_index,
        strftime(compared.month_start, '%Y-%m') as month,
        case
            when compared.month_start >= history.first_date
                then cast(coalesce(sum(mart_case_series.cases) filter (
                    where mart_case_series.reported_date
                    between compared.month_start and compared.month_end
                ), 0) as bigint)
        end as current_cases,
        case
            when compared.last_year_start >= history.first_date
                then cast(coalesce(sum(mart_case_series.cases) filter (
                    where mart_case_series.reported_date
                    between compared.last_year_start and compared.last_year_end
                ), 0) as bigint)
        end as last_year_cases
    from shown
    cross join compared
    cross join history
    left join mart_case_series
        on
            shown.dimension = mart_case_series.dimension
            and shown.category = mart_case_series.category
            and mart_case_series.reported_date
            between compared.last_year_start and compared.month_end
    group by
        shown.dimension,
        shown.category,
        compared.month_index,
        compared.month_start,
        compared.month_end,
        compared.last_year_start,
        compared.last_year_end,
        history.first_date
)

select * from final
order by dimension, category, month_index
