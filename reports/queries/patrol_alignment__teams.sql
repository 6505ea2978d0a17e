-- query: patrol_alignment__teams
-- one row per patrol team of mart_patrol_team_alignment for $as_of_date
-- parameters: $as_of_date
-- used by: section patrol_alignment (reports/sections/patrol_alignment.py): the teams
select * exclude (as_of_date)
from mart_patrol_team_alignment
where as_of_date = $as_of_date
order by station_id, team_id
