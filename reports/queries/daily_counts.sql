-- query: daily_counts
-- one row per scope (bureau or station) and category of mart_daily_counts for $as_of_date
-- parameters: $as_of_date
select
    scope,
    scope_id,
    category,
    day_count,
    previous_7d_daily_avg
from mart_daily_counts
where as_of_date = $as_of_date
order by scope, scope_id, category
