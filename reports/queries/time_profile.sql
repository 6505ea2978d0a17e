-- query: time_profile
-- one row per scope, weekday and hour of mart_time_profile for $as_of_date
-- parameters: $as_of_date
-- used by: section time_profile (reports/sections/time_profile.py): the hour × weekday heatmap
select
    scope,
    scope_id,
    weekday,
    hour,
    weight
from mart_time_profile
where as_of_date = $as_of_date
order by scope, scope_id, weekday, hour
