-- query: patrol_plan
-- one row per station and plan entry of mart_patrol_plan made on $as_of_date
-- parameters: $as_of_date
-- used by: section patrol_plan (reports/sections/patrol_plan.py)
select * exclude (as_of_date)
from mart_patrol_plan
where as_of_date = $as_of_date
order by station_id, plan_rank
