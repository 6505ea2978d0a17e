-- model: int_bureau_frames
-- grain: one row per bureau that has any located reference object (station, community or
-- road segment); the frame of its hotspot grid
-- key: bureau_id
-- materialized: table
-- parameters: $cell_m (setting grid_cell_m, default 250)
--
-- Extent: the bounding box of the bureau's communities (centre +- radius_m), stations and road
-- segment end points, padded by one cell on every side; the grid's origin is the padded box's
-- south-west corner, so the extent's west and south edges lie exactly one cell inside.
--
-- Projection: a local equirectangular projection per bureau, x = R cos(phi_c) d(lon),
-- y = R d(lat), R = 6371008.8 m, phi_c the middle latitude of the extent (macros in
-- transforms/macros/grid.sql). Why that is accurate enough: measured against the WGS-84
-- ellipsoid, north-south distances are off by R / M(phi) - 1 (+0.08% at 44 N, +0.47% at 18 N)
-- and east-west ones by R cos(phi_c) / (N(phi) cos(phi)) - 1, which is -0.27% on the middle
-- parallel at 44 N and drifts by tan(phi_c) per radian of latitude away from it (-0.57% ..
-- +0.03% across a county 40 km tall at 44 N, under 1% for any county within 25 km of its middle
-- parallel anywhere in China). So a "250 m" cell is 248.5 to 251.5 m on the ground: the grid is
-- only a binning of the map, Gi* uses cell adjacency and not distances, and cases and cells go
-- through the same macros, so no case changes cell because of it; geocoding error of case
-- locations (tens of metres) is far larger. It is not the < 0.1% a conformal projection (UTM)
-- would give, and does not need to be.
with

params as (
    select cast($cell_m as double) as cell_m
),

stations as (
    select
        station_id,
        bureau_id,
        lon,
        lat
    from stg_stations
),

communities as (
    select
        station_id,
        lon,
        lat,
        coalesce(radius_m, 0.0) as radius_m
    from stg_communities
),

road_segments as (
    select
        station_id,
        from_lon,
        from_lat,
        to_lon,
        to_lat
    from stg_road_segments
),

-- each located object as a box in degrees (a community's box covers its radius)
object_boxes as (
    select
        bureau_id,
        lon as lon_min,
        lon as lon_max,
        lat as lat_min,
        lat as lat_max
    from stations
    union all
    select
        stations.bureau_id,
        communities.lon
        - degrees(communities.radius_m / (earth_radius_m() * cos(radians(communities.lat))))
            as lon_min,
        communities.lon
        + degrees(communities.radius_m / (earth_radius_m() * cos(radians(communities.lat))))
            as lon_max,
        communities.lat - degrees(communities.radius_m / earth_radius_m()) as lat_min,
        communities.lat + degrees(communities.radius_m / earth_radius_m()) as lat_max
    from communities
    inner join stations on communities.station_id = stations.station_id
    union all
    select
        stations.bureau_id,
        least(road_segments.from_lon, road_segments.to_lon) as lon_min,
        greatest(road_segments.from_lon, road_segments.to_lon) as lon_max,
        least(road_segments.from_lat, road_segments.to_lat) as lat_min,
        greatest(road_segments.from_lat, road_segments.to_lat) as lat_max
    from road_segments
    inner join stations on road_segments.station_id = stations.station_id
),

extents as (
    select
        bureau_id,
        min(lon_min) as lon_min,
        max(lon_max) as lon_max,
        min(lat_min) as lat_min,
        max(lat_max) as lat_max
    from object_boxes
    where
        lon_min is not null and lon_max is not null
        and lat_min is not null and lat_max is not null
    group by bureau_id
),

projected as (
    select
        extents.*,
        params.cell_m,
        (extents.lat_min + extents.lat_max) / 2.0 as projection_lat,
        local_x_m(extents.lon_max, extents.lon_min, (extents.lat_min + extents.lat_max) / 2.0)
            as width_m,
        local_y_m(extents.lat_max, extents.lat_min) as height_m
    from extents
    cross join params
),

final as (
    select
        -- ids
        bureau_id,
        -- projection
        projection_lat,
        local_lon(-cell_m, lon_min, projection_lat) as origin_lon,
        local_lat(-cell_m, lat_min) as origin_lat,
        -- grid size: the extent's cells plus one padding cell on each side
        cell_m,
        cast(ceil(width_m / cell_m) as integer) + 2 as n_cols,
        cast(ceil(height_m / cell_m) as integer) + 2 as n_rows,
        (cast(ceil(width_m / cell_m) as integer) + 2)
        * (cast(ceil(height_m / cell_m) as integer) + 2) as n_cells,
        -- the unpadded extent (WGS-84 degrees and metres)
        lon_min as extent_lon_min,
        lon_max as extent_lon_max,
        lat_min as extent_lat_min,
        lat_max as extent_lat_max,
        width_m as extent_width_m,
        height_m as extent_height_m
    from projected
)

select * from final
