-- model: int_grid_cells
-- grain: one row per bureau and grid cell (cell_x = column from the west, cell_y = row from the
-- south, both from 0); every cell of the frame is here, empty ones too
-- key: bureau_id, cell_id
-- materialized: table
-- parameters: none beyond int_bureau_frames' ($cell_m)
--
-- A cell belongs to the community whose centre is nearest to the cell's centre (among the
-- bureau's communities, by straight-line distance in the bureau's projection; ties go to the
-- smaller community_id), and to that community's station. A bureau without communities gives
-- each cell its nearest station instead.
with

frames as (
    select * from int_bureau_frames
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
        community_id,
        station_id,
        lon,
        lat
    from stg_communities
),

columns_ as (
    select
        bureau_id,
        unnest(range(n_cols)) as cell_x
    from frames
),

cells as (
    select
        columns_.bureau_id,
        cast(columns_.cell_x as integer) as cell_x,
        cast(unnest(range(frames.n_rows)) as integer) as cell_y
    from columns_
    inner join frames on columns_.bureau_id = frames.bureau_id
),

-- cell centres, in metres from the bureau's origin
cell_centres as (
    select
        cells.bureau_id,
        cells.cell_x,
        cells.cell_y,
        (cells.cell_x + 0.5) * frames.cell_m as x_m,
        (cells.cell_y + 0.5) * frames.cell_m as y_m
    from cells
    inner join frames on cells.bureau_id = frames.bureau_id
),

community_points as (
    select
        stations.bureau_id,
        communities.community_id,
        communities.station_id,
        local_x_m(communities.lon, frames.origin_lon, frames.projection_lat) as x_m,
        local_y_m(communities.lat, frames.origin_lat) as y_m
    from communities
    inner join stations on communities.station_id = stations.station_id
    inner join frames on stations.bureau_id = frames.bureau_id
    where communities.lon is not null and communities.lat is not null
),

station_points as (
    select
        stations.bureau_id,
        stations.station_id,
        local_x_m(stations.lon, frames.origin_lon, frames.projection_lat) as x_m,
        local_y_m(stations.lat, frames.origin_lat) as y_m
    from stations
    inner join frames on stations.bureau_id = frames.bureau_id
    where stations.lon is not null and stations.lat is not null
),

-- Nearest community, exactly, without measuring every cell against every community: cells are
-- grouped in blocks of 8 x 8; for a block whose centre is d from its nearest community, any
-- cell centre in it lies within h = 3.5 sqrt(2) cells of the block centre, so its nearest
-- community is within d + 2h of the block centre (triangle inequality). Only those candidates
-- are compared per cell: about ten instead of hundreds.
block_centres as (
    select distinct
        cells.bureau_id,
        cells.cell_x // 8 as block_x,
        cells.cell_y // 8 as block_y,
        (cells.cell_x // 8 * 8 + 4) * frames.cell_m as x_m,
        (cells.cell_y // 8 * 8 + 4) * frames.cell_m as y_m,
        3.5 * sqrt(2.0) * frames.cell_m as half_diagonal_m
    from cells
    inner join frames on cells.bureau_id = frames.bureau_id
),

block_distances as (
    select
        block_centres.bureau_id,
        block_centres.block_x,
        block_centres.block_y,
        block_centres.half_diagonal_m,
        community_points.community_id,
        community_points.station_id,
        community_points.x_m,
        community_points.y_m,
        sqrt(
            (block_centres.x_m - community_points.x_m) ^ 2
            + (block_centres.y_m - community_points.y_m) ^ 2
        ) as distance_m
    from block_centres
    inner join community_points on block_centres.bureau_id = community_points.bureau_id
),

block_candidates as (
    select * from block_distances
    qualify
        distance_m
        <= min(distance_m) over (partition by bureau_id, block_x, block_y)
        + 2.0 * half_diagonal_m + 1e-6
),

nearest_community as (
    select
        cell_centres.bureau_id,
        cell_centres.cell_x,
        cell_centres.cell_y,
        arg_min(
            {
                'community_id': block_candidates.community_id,
                'station_id': block_candidates.station_id
            },
            {
                'd2': (cell_centres.x_m - block_candidates.x_m) ^ 2
                + (cell_centres.y_m - block_candidates.y_m) ^ 2,
                'community_id': block_candidates.community_id
            }
        ) as community,
        sqrt(min(
            (cell_centres.x_m - block_candidates.x_m) ^ 2
            + (cell_centres.y_m - block_candidates.y_m) ^ 2
        )) as community_distance_m
    from cell_centres
    inner join block_candidates
        on
            cell_centres.bureau_id = block_candidates.bureau_id
            and cell_centres.cell_x // 8 = block_candidates.block_x
            and cell_centres.cell_y // 8 = block_candidates.block_y
    group by all
),

-- only for bureaus without communities
nearest_station as (
    select
        cell_centres.bureau_id,
        cell_centres.cell_x,
        cell_centres.cell_y,
        arg_min(
            station_points.station_id,
            {
                'd2': (cell_centres.x_m - station_points.x_m) ^ 2
                + (cell_centres.y_m - station_points.y_m) ^ 2,
                'station_id': station_points.station_id
            }
        ) as station_id
    from cell_centres
    inner join station_points on cell_centres.bureau_id = station_points.bureau_id
    where cell_centres.bureau_id not in (select community_points.bureau_id from community_points)
    group by all
),

final as (
    select
        -- ids
        cell_centres.bureau_id,
        grid_cell_id(cell_centres.bureau_id, cell_centres.cell_x, cell_centres.cell_y)
            as cell_id,
        cell_centres.cell_x,
        cell_centres.cell_y,
        coalesce(nearest_community.community.station_id, nearest_station.station_id)
            as station_id,
        nearest_community.community.community_id,
        -- place: the cell centre, in WGS-84 and in metres from the bureau's grid origin
        local_lon(cell_centres.x_m, frames.origin_lon, frames.projection_lat) as center_lon,
        local_lat(cell_centres.y_m, frames.origin_lat) as center_lat,
        cell_centres.x_m as center_x_m,
        cell_centres.y_m as center_y_m,
        -- measures
        nearest_community.community_distance_m
    from cell_centres
    inner join frames on cell_centres.bureau_id = frames.bureau_id
    left join nearest_community
        on
            cell_centres.bureau_id = nearest_community.bureau_id
            and cell_centres.cell_x = nearest_community.cell_x
            and cell_centres.cell_y = nearest_community.cell_y
    left join nearest_station
        on
            cell_centres.bureau_id = nearest_station.bureau_id
            and cell_centres.cell_x = nearest_station.cell_x
            and cell_centres.cell_y = nearest_station.cell_y
)

select * from final
