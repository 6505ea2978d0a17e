-- model: mart_unvisited_hotspots
-- grain: one row per as_of_date and hot cell (hot_class >= $hot_class_min in
-- mart_hotspot_cells of the day) that no patrol entered that day (no credited GPS minute)
-- key: as_of_date, bureau_id, cell_id
-- materialized: incremental
-- parameters: $as_of_date, $hot_class_min (setting patrol_hot_class_min, default 2)
--
-- station_id / community_id: whose jurisdiction the cell is in. nearby_patrol_minutes: patrol
-- minutes that day in the 8 cells around it, so "passed by but never went in" (> 0) can be told
-- from "nobody came near" (0). rank_in_station: 1 = the highest gi_z of the station's unvisited
-- hot cells.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($hot_class_min as integer) as hot_class_min
),

day_cells as (
    select mart_hotspot_cells.*
    from mart_hotspot_cells
    inner join params on mart_hotspot_cells.as_of_date = params.as_of_date
),

presence as (
    select mart_patrol_presence.*
    from mart_patrol_presence
    inner join params on mart_patrol_presence.as_of_date = params.as_of_date
),

cell_minutes as (
    select
        bureau_id,
        cell_x,
        cell_y,
        exact_sum(patrol_minutes) as patrol_minutes
    from presence
    group by all
),

hot_cells as (
    select day_cells.*
    from day_cells
    cross join params
    where day_cells.hot_class >= params.hot_class_min
),

unvisited as (
    select hot_cells.*
    from hot_cells
    left join cell_minutes
        on
            hot_cells.bureau_id = cell_minutes.bureau_id
            and hot_cells.cell_x = cell_minutes.cell_x
            and hot_cells.cell_y = cell_minutes.cell_y
    where coalesce(cell_minutes.patrol_minutes, 0.0) = 0.0
),

nearby as (
    select
        unvisited.cell_id,
        coalesce(exact_sum(cell_minutes.patrol_minutes), 0.0) as nearby_patrol_minutes
    from unvisited
    left join cell_minutes
        on
            unvisited.bureau_id = cell_minutes.bureau_id
            and cell_minutes.cell_x between unvisited.cell_x - 1 and unvisited.cell_x + 1
            and cell_minutes.cell_y between unvisited.cell_y - 1 and unvisited.cell_y + 1
    group by all
),

final as (
    select
        params.as_of_date,
        -- ids
        unvisited.bureau_id,
        unvisited.station_id,
        unvisited.community_id,
        unvisited.cell_id,
        unvisited.cell_x,
        unvisited.cell_y,
        -- place (cell centre, WGS-84)
        unvisited.center_lon,
        unvisited.center_lat,
        -- the hotspot
        unvisited.hot_class,
        unvisited.gi_z,
        unvisited.cases,
        unvisited.neighbourhood_cases,
        -- patrol around it
        nearby.nearby_patrol_minutes,
        rank() over (
            partition by unvisited.station_id order by unvisited.gi_z desc, unvisited.cell_id asc
        ) as rank_in_station
    from unvisited
    cross join params
    inner join nearby on unvisited.cell_id = nearby.cell_id
)

select * from final
