-- query: emerging
-- one row per grid cell of mart_emerging_hotspots for $as_of_date that has a pattern
-- parameters: $as_of_date
-- used by: the commander view (reports/trends.py), emerging hotspots per community
select
    bureau_id,
    station_id,
    community_id,
    cell_id,
    pattern,
    spot_type,
    is_emerging_hot_spot,
    cases
from mart_emerging_hotspots
where as_of_date = $as_of_date and pattern <> 'no_pattern'
order by bureau_id, cell_id
