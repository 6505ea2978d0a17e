-- model: int_case_cells
-- grain: one row per case (every case of stg_cases), with the hotspot-grid cell of its place
-- key: case_id
-- materialized: table
-- parameters: none beyond int_bureau_frames' ($cell_m)
--
-- A case is placed in the grid of its station's bureau, through the same projection macros that
-- drew the grid. location_status says what happened to it:
--   'in_grid'        the cell is known (cell_x, cell_y, cell_id set);
--   'outside_grid'   its lon/lat fall outside the bureau's padded extent (dropped from hotspot
--                    counts, and counted per bureau in the hotspot mart);
--   'no_coordinates' lon or lat is missing;
--   'no_grid'        its station is unknown or its bureau has no grid.
with

cases as (
    select
        case_id,
        station_id,
        reported_date,
        lon,
        lat
    from stg_cases
),

stations as (
    select
        station_id,
        bureau_id
    from stg_stations
),

frames as (
    select * from int_bureau_frames
),

located as (
    select
        cases.case_id,
        cases.station_id,
        stations.bureau_id,
        cases.reported_date,
        cases.lon,
        cases.lat,
        frames.bureau_id is not null as has_grid,
        grid_index(
            local_x_m(cases.lon, frames.origin_lon, frames.projection_lat),
            frames.cell_m,
            frames.n_cols
        ) as cell_x,
        grid_index(local_y_m(cases.lat, frames.origin_lat), frames.cell_m, frames.n_rows)
            as cell_y
    from cases
    left join stations on cases.station_id = stations.station_id
    left join frames on stations.bureau_id = frames.bureau_id
),

final as (
    select
        -- ids
        case_id,
        station_id,
        bureau_id,
        case when cell_x is not null and cell_y is not null then cell_x end as cell_x,
        case when cell_x is not null and cell_y is not null then cell_y end as cell_y,
        case
            when cell_x is not null and cell_y is not null
                then grid_cell_id(bureau_id, cell_x, cell_y)
        end as cell_id,
        -- attributes
        case
            when not has_grid then 'no_grid'
            when lon is null or lat is null then 'no_coordinates'
            when cell_x is null or cell_y is null then 'outside_grid'
            else 'in_grid'
        end as location_status,
        -- dates
        reported_date
    from located
)

select * from final
