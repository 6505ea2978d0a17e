-- query: alignment
-- one row per station of mart_patrol_alignment for $as_of_date
-- parameters: $as_of_date
select * exclude (as_of_date)
from mart_patrol_alignment
where as_of_date = $as_of_date
order by station_id
