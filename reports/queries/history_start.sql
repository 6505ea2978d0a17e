-- query: history_start
-- the first and last reported dates of the warehouse's case history (null when it has none)
-- used by: the commander view (reports/trends.py), the span its trend lines cover
select
    min(reported_date) as first_date,
    max(reported_date) as last_date
from stg_cases
