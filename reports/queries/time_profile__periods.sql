-- query: time_profile__periods
-- one row per scope and period rank of mart_top_time_periods for $as_of_date
-- parameters: $as_of_date
-- used by: section time_profile (reports/sections/time_profile.py): the top periods
select * exclude (as_of_date)
from mart_top_time_periods
where as_of_date = $as_of_date
order by scope, scope_id, period_rank
