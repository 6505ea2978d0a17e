-- query: scorecard
-- one row per station of mart_station_scorecard for $as_of_date
-- parameters: $as_of_date
-- used by: section scorecard (reports/sections/scorecard.py); the commander view's league
select * exclude (as_of_date)
from mart_station_scorecard
where as_of_date = $as_of_date
order by station_id
