-- query: province_quality
-- one row per bureau of the province for the day, then the routing row (bureau_id 'province')
-- used by: the province roll-up's banner and quality table (reports/province.py)
select
    bureau_id,
    bureau_name,
    run_status,
    failed_feeds,
    problems,
    rows_read,
    rows_accepted,
    rows_quarantined,
    rows_duplicate
from mart_province_quality
where as_of_date = $as_of_date
order by bureau_id = 'province', bureau_id
