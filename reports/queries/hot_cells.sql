-- query: hot_cells
-- one row per grid cell of mart_hotspot_cells for $as_of_date, with only what the map draws
-- (class, cases, z) and whose jurisdiction it is in; every cell, so a station's map can shade
-- its whole jurisdiction
-- parameters: $as_of_date
select
    bureau_id,
    station_id,
    cell_x,
    cell_y,
    cases,
    gi_z,
    hot_class
from mart_hotspot_cells
where as_of_date = $as_of_date
order by bureau_id, cell_x, cell_y
