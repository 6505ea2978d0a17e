-- macros: the local metric projection of a bureau's hotspot grid (see int_bureau_frames)
--
-- Each bureau has its own equirectangular projection: x = R cos(phi_c) (lon - lon_0),
-- y = R (lat - lat_0) (angles in radians), R = 6371008.8 m (the mean Earth radius), with
-- phi_c the middle latitude of the bureau's extent and (lon_0, lat_0) the grid's south-west
-- corner. The same macros map grid cells and cases, so a case always falls in the cell drawn
-- around it; the scale error (see int_bureau_frames) only makes cells a few metres off 250 m.
create or replace macro earth_radius_m() as 6371008.8;

-- metres east of origin_lon, in the projection of parallel projection_lat
create or replace macro local_x_m(lon, origin_lon, projection_lat) as
earth_radius_m() * cos(radians(projection_lat)) * radians(lon - origin_lon)
;

-- metres north of origin_lat
create or replace macro local_y_m(lat, origin_lat) as
earth_radius_m() * radians(lat - origin_lat)
;

-- the inverse: longitude of a point x_m metres east of origin_lon
create or replace macro local_lon(x_m, origin_lon, projection_lat) as
origin_lon + degrees(x_m / (earth_radius_m() * cos(radians(projection_lat))))
;

-- the inverse: latitude of a point y_m metres north of origin_lat
create or replace macro local_lat(y_m, origin_lat) as
origin_lat + degrees(y_m / earth_radius_m())
;

-- column (or row) index of a coordinate in metres from the origin; null when outside 0..n - 1
create or replace macro grid_index(metres, cell_m, n) as
case
    when floor(metres / cell_m) between 0 and n - 1 then cast(floor(metres / cell_m) as integer)
end
;

-- a cell's key, unique across bureaus, e.g. '220199000000:12:34' (column 12, row 34)
create or replace macro grid_cell_id(bureau_id, cell_x, cell_y) as
bureau_id || ':' || cast(cell_x as varchar) || ':' || cast(cell_y as varchar)
;
