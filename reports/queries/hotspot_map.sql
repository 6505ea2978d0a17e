-- query: hotspot_map
-- one row per grid cell of mart_hotspot_cells for $as_of_date, with only what the map draws
-- (class, cases, z), whose jurisdiction it is in, and its bureau's lattice: the lon/lat of
-- cell column 0 and row 0 and the step between columns and rows. Every cell, so a station's map
-- can shade its whole jurisdiction. The bureau's grid is a local equirectangular projection,
-- so cell centres lie exactly on a regular lon/lat lattice (docs/metrics.md), and a
-- least-squares line through the centres recovers it.
-- parameters: $as_of_date
-- used by: section hotspot_map (reports/sections/hotspot_map.py): the Gi* classes
with

cells as (
    select
        bureau_id,
        station_id,
        cell_x,
        cell_y,
        center_lon,
        center_lat,
        cases,
        gi_z,
        hot_class
    from mart_hotspot_cells
    where as_of_date = $as_of_date
),

lattices as (
    select
        bureau_id,
        regr_intercept(center_lon, cell_x) as lon0,
        regr_slope(center_lon, cell_x) as lon_step,
        regr_intercept(center_lat, cell_y) as lat0,
        regr_slope(center_lat, cell_y) as lat_step
    from cells
    group by bureau_id
),

final as (
    select
        -- ids
        cells.bureau_id,
        cells.station_id,
        cells.cell_x,
        cells.cell_y,
        -- measures
        cells.cases,
        cells.gi_z,
        cells.hot_class,
        -- the bureau's lattice
        lattices.lon0,
        lattices.lon_step,
        lattices.lat0,
        lattices.lat_step
    from cells
    inner join lattices on cells.bureau_id = lattices.bureau_id
)

select * from final
order by bureau_id, cell_x, cell_y
