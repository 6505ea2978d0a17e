-- model: mart_patrol_team_alignment
-- grain: one row per as_of_date and patrol team (with its station) that has patrol minutes in
-- the grid that day
-- key: as_of_date, station_id, team_id
-- materialized: incremental
-- parameters: $as_of_date, $hot_class_min (setting patrol_hot_class_min, default 2),
-- $visit_minutes (setting patrol_visit_minutes, default 15), $misaligned_hot_share (setting
-- patrol_misaligned_hot_share, default 0.25), $misaligned_max_z (setting
-- patrol_misaligned_max_z, default 1.645)
--
-- Where did each team spend its patrol minutes (mart_patrol_presence)? Hot cells as in
-- mart_patrol_alignment (hot_class >= $hot_class_min in mart_hotspot_cells of the day, any
-- jurisdiction).
-- - hot_minutes_share = minutes in hot cells / all the team's minutes in the grid.
-- - minutes_in_hot_cell_hours: minutes in a hot cell during a top time period of that cell's
--   station on today's weekday (mart_station_top_hours).
-- - mean_gi_z: the team's minutes-weighted mean Gi* z of the cells it patrolled (a cell with
--   no z counts 0): above 0 means the team's time was spent where cases cluster more than the
--   bureau's average.
-- - hot_cells_visited / hot_cells_dosed: distinct hot cells with any minute / with at least
--   $visit_minutes of this team's minutes.
-- - station_hot_cells: hot cells in the jurisdiction of the team's station (were there any to
--   patrol nearby?).
-- - is_misaligned: hot_minutes_share < $misaligned_hot_share and mean_gi_z < $misaligned_max_z:
--   less than a quarter of the team's time in hotspots, and its time on the whole in places
--   below the weakest hotspot level (z 1.645, where hot_class 1 starts); the second condition
--   spares a team working a real but weakly clustered hotspot. It catches a team posted to a
--   quiet area, and also a general team roaming a wide rural beat where hot cells are few; read
--   it with station_hot_cells.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($hot_class_min as integer) as hot_class_min,
        cast($visit_minutes as double) as visit_minutes,
        cast($misaligned_hot_share as double) as misaligned_hot_share,
        cast($misaligned_max_z as double) as misaligned_max_z
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

top_hours as (
    select
        mart_station_top_hours.station_id,
        mart_station_top_hours.hour
    from mart_station_top_hours
    inner join params on mart_station_top_hours.as_of_date = params.as_of_date
),

station_hot_cells as (
    select
        day_cells.station_id,
        count(*) as hot_cells
    from day_cells
    cross join params
    where day_cells.hot_class >= params.hot_class_min
    group by all
),

team_cell_hours as (
    select
        presence.station_id,
        presence.team_id,
        presence.bureau_id,
        presence.cell_id,
        presence.hour,
        presence.patrol_minutes,
        coalesce(day_cells.gi_z, 0.0) as gi_z,
        coalesce(day_cells.hot_class >= params.hot_class_min, false) as is_hot_cell,
        top_hours.hour is not null as is_top_hour
    from presence
    cross join params
    left join day_cells on presence.cell_id = day_cells.cell_id
    left join top_hours
        on day_cells.station_id = top_hours.station_id and presence.hour = top_hours.hour
),

team_cells as (
    select
        station_id,
        team_id,
        cell_id,
        bool_or(is_hot_cell) as is_hot_cell,
        exact_sum(patrol_minutes) as patrol_minutes
    from team_cell_hours
    group by all
),

cell_counts as (
    select
        team_cells.station_id,
        team_cells.team_id,
        count(*) filter (where team_cells.is_hot_cell) as hot_cells_visited,
        count(*) filter (
            where team_cells.is_hot_cell and team_cells.patrol_minutes >= params.visit_minutes
        ) as hot_cells_dosed
    from team_cells
    cross join params
    group by all
),

team_totals as (
    select
        station_id,
        team_id,
        any_value(bureau_id) as bureau_id,
        exact_sum(patrol_minutes) as patrol_minutes,
        coalesce(exact_sum(case when is_hot_cell then patrol_minutes end), 0.0)
            as minutes_in_hot_cells,
        coalesce(exact_sum(case when is_hot_cell and is_top_hour then patrol_minutes end), 0.0)
            as minutes_in_hot_cell_hours,
        exact_sum(patrol_minutes * gi_z) / nullif(exact_sum(patrol_minutes), 0.0) as mean_gi_z
    from team_cell_hours
    group by all
),

final as (
    select
        params.as_of_date,
        -- ids
        team_totals.station_id,
        team_totals.team_id,
        team_totals.bureau_id,
        -- measures
        team_totals.patrol_minutes,
        team_totals.minutes_in_hot_cells,
        team_totals.patrol_minutes - team_totals.minutes_in_hot_cells
            as minutes_outside_hot_cells,
        team_totals.minutes_in_hot_cells / nullif(team_totals.patrol_minutes, 0.0)
            as hot_minutes_share,
        team_totals.minutes_in_hot_cell_hours,
        team_totals.mean_gi_z,
        cell_counts.hot_cells_visited,
        cell_counts.hot_cells_dosed,
        coalesce(station_hot_cells.hot_cells, 0) as station_hot_cells,
        -- flag
        team_totals.minutes_in_hot_cells / nullif(team_totals.patrol_minutes, 0.0)
        < params.misaligned_hot_share
        and team_totals.mean_gi_z < params.misaligned_max_z as is_misaligned,
        params.misaligned_hot_share,
        params.misaligned_max_z
    from team_totals
    cross join params
    inner join cell_counts
        on
            team_totals.station_id = cell_counts.station_id
            and team_totals.team_id = cell_counts.team_id
    left join station_hot_cells on team_totals.station_id = station_hot_cells.station_id
)

select * from final
