-- query: province_months
-- one row per bureau (and 'all') and month of the 13 months up to the month of $as_of_date
-- used by: the province commander view (reports/province.py)
select
    bureau_id,
    month,
    days,
    cases,
    cases_last_year,
    change_pct
from mart_province_months
where month > cast(date_trunc('month', cast($as_of_date as date)) - interval 13 month as date)
order by bureau_id = 'all' desc, bureau_id asc, month asc
