-- query: top_periods
-- one row per scope and period rank of mart_top_time_periods for $as_of_date
-- parameters: $as_of_date
select * exclude (as_of_date)
from mart_top_time_periods
where as_of_date = $as_of_date
order by scope, scope_id, period_rank
