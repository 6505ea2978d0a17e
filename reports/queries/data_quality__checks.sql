-- query: data_quality__checks
-- one row per feed, check ('rows' or 'health') and rule of validation_results for
-- $as_of_date: whether the expectation passed, and on how many rows it failed
-- parameters: $as_of_date
-- used by: the data-quality page (reports/quality_page.py, through the day's view of
--   reports/sections/data_quality.py)
select
    feed,
    check_name,
    rule,
    severity,
    success,
    unexpected_count,
    element_count,
    notes
from validation_results
where as_of_date = $as_of_date
order by feed asc, check_name desc, rule asc
