-- query: hotspot_map__cases
-- one row per case reported on $as_of_date (mart_day_cases holds no personal data)
-- parameters: $as_of_date
-- used by: section hotspot_map (reports/sections/hotspot_map.py): the points of the day's cases
select
    case_id,
    station_id,
    community_id,
    kind,
    category,
    place_type,
    reported_at,
    lon,
    lat
from mart_day_cases
where as_of_date = $as_of_date
order by case_id
