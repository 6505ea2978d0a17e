-- query: categories
-- one row per scope, scope_id and category of mart_daily_counts for $as_of_date
-- parameters: $as_of_date
-- used by: section categories (reports/sections/categories.py); the headline's and the leagues'
--   cases today are its 'all' rows
select
    scope,
    scope_id,
    category,
    day_count,
    previous_7d_daily_avg
from mart_daily_counts
where as_of_date = $as_of_date
order by scope, scope_id, category
