-- query: grid_frames
-- one row per bureau with a grid on $as_of_date: the lon/lat of cell column 0 and row 0 and the
-- step between columns and rows. The bureau's grid is a local equirectangular projection, so
-- cell centres lie exactly on a regular lon/lat lattice (docs/metrics.md), and a least-squares
-- line through the centres recovers it.
-- parameters: $as_of_date
select
    bureau_id,
    regr_intercept(center_lon, cell_x) as lon0,
    regr_slope(center_lon, cell_x) as lon_step,
    regr_intercept(center_lat, cell_y) as lat0,
    regr_slope(center_lat, cell_y) as lat_step
from mart_hotspot_cells
where as_of_date = $as_of_date
group by bureau_id
order by bureau_id
