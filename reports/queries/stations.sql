-- query: stations
-- one row per station of dim_stations
-- used by: every section that names or draws stations (read once, shared)
select
    station_id,
    bureau_id,
    station_name,
    station_type,
    bureau_name,
    bureau_type,
    officer_count,
    lon,
    lat
from dim_stations
order by station_id
