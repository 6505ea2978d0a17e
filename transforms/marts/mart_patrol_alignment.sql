-- model: mart_patrol_alignment
-- grain: one row per as_of_date and station (every station of the reference)
-- key: as_of_date, station_id
-- materialized: incremental
-- parameters: $as_of_date, $hot_class_min (setting patrol_hot_class_min, default 2),
-- $visit_minutes (setting patrol_visit_minutes, default 15)
--
-- Does patrol go where and when the cases are? Hot cells are the cells of mart_hotspot_cells of
-- the day with hot_class >= $hot_class_min, each belonging to the station whose jurisdiction
-- it is in. Patrol minutes are those of mart_patrol_presence (every team, whichever station,
-- summed over teams).
-- - Hot cell-hours: the station's hot cells x the clock hours of the station's top time
--   periods that fall on the weekday of $as_of_date (mart_station_top_hours).
--   koper_share = hot cell-hours with at least $visit_minutes of patrol / hot cell-hours (Koper:
--   about 15 minutes of presence deters for a while after); null when the station has no hot
--   cell-hour today (no hot cell, or no top period on this weekday).
-- - hot_cells_dosed: hot cells with >= $visit_minutes at any hour of the day;
--   unvisited_hot_cells: hot cells with no patrol minute at all (listed in
--   mart_unvisited_hotspots).
-- - minutes_in_hot_cells / minutes_outside_hot_cells: the station's own teams' patrol minutes
--   inside and outside hot cells (of any jurisdiction); hot_minutes_share = inside / all.
-- - Visibility (见警率) proxy: visible_patrol_minutes = patrol minutes (every team) in the
--   station's cells that had at least one case in the hotspot window (where incidents happen,
--   the public is); visible_minutes_per_1k_residents = that per 1,000 actual residents of the
--   station's communities (latest population snapshot on or before $as_of_date; null without
--   population); minutes_per_hot_cell = patrol minutes in the station's hot cells / hot cells.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($hot_class_min as integer) as hot_class_min,
        cast($visit_minutes as double) as visit_minutes
),

stations as (
    select
        station_id,
        bureau_id
    from stg_stations
),

communities as (
    select
        community_id,
        station_id
    from stg_communities
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

population_in_force as (
    select
        community_id,
        actual_residents
    from int_population_in_force
),

station_population as (
    select
        communities.station_id,
        cast(exact_sum(population_in_force.actual_residents) as bigint) as residents
    from population_in_force
    inner join communities on population_in_force.community_id = communities.community_id
    group by all
),

hot_cells as (
    select
        day_cells.station_id,
        day_cells.cell_id
    from day_cells
    cross join params
    where day_cells.hot_class >= params.hot_class_min
),

-- the clock hours of today's top periods of each station (mart_station_top_hours)
top_hours as (
    select
        mart_station_top_hours.station_id,
        mart_station_top_hours.hour
    from mart_station_top_hours
    inner join params on mart_station_top_hours.as_of_date = params.as_of_date
),

cell_hour_minutes as (
    select
        cell_id,
        hour,
        exact_sum(patrol_minutes) as patrol_minutes
    from presence
    group by all
),

cell_minutes as (
    select
        cell_id,
        exact_sum(patrol_minutes) as patrol_minutes
    from presence
    group by all
),

hot_cell_hours as (
    select
        hot_cells.station_id,
        hot_cells.cell_id,
        top_hours.hour,
        coalesce(cell_hour_minutes.patrol_minutes, 0.0) as patrol_minutes
    from hot_cells
    inner join top_hours on hot_cells.station_id = top_hours.station_id
    left join cell_hour_minutes
        on hot_cells.cell_id = cell_hour_minutes.cell_id and top_hours.hour = cell_hour_minutes.hour
),

koper as (
    select
        hot_cell_hours.station_id,
        count(*) as hot_cell_hours,
        count(*) filter (where hot_cell_hours.patrol_minutes >= params.visit_minutes)
            as hot_cell_hours_dosed
    from hot_cell_hours
    cross join params
    group by all
),

hot_cell_totals as (
    select
        hot_cells.station_id,
        count(*) as hot_cells,
        count(*) filter (where coalesce(cell_minutes.patrol_minutes, 0.0) >= params.visit_minutes)
            as hot_cells_dosed,
        count(*) filter (where coalesce(cell_minutes.patrol_minutes, 0.0) = 0.0)
            as unvisited_hot_cells,
        coalesce(exact_sum(cell_minutes.patrol_minutes), 0.0) as minutes_on_own_hot_cells
    from hot_cells
    cross join params
    left join cell_minutes on hot_cells.cell_id = cell_minutes.cell_id
    group by all
),

top_hour_counts as (
    select
        station_id,
        count(*) as top_period_hours_today
    from top_hours
    group by all
),

-- the station's own teams, inside and outside hot cells (any jurisdiction)
own_team_minutes as (
    select
        presence.station_id,
        exact_sum(presence.patrol_minutes) as patrol_minutes,
        coalesce(
            exact_sum(case when hot_cells.cell_id is not null then presence.patrol_minutes end), 0.0
        ) as minutes_in_hot_cells
    from presence
    left join hot_cells on presence.cell_id = hot_cells.cell_id
    group by all
),

-- visibility: every team's minutes in the station's cells that had a case in the window
visible as (
    select
        day_cells.station_id,
        exact_sum(cell_minutes.patrol_minutes) as visible_patrol_minutes
    from day_cells
    inner join cell_minutes on day_cells.cell_id = cell_minutes.cell_id
    where day_cells.cases > 0
    group by all
),

final as (
    select
        params.as_of_date,
        -- ids
        stations.station_id,
        stations.bureau_id,
        -- hot cell-hours (Koper)
        coalesce(hot_cell_totals.hot_cells, 0) as hot_cells,
        coalesce(top_hour_counts.top_period_hours_today, 0) as top_period_hours_today,
        coalesce(koper.hot_cell_hours, 0) as hot_cell_hours,
        coalesce(koper.hot_cell_hours_dosed, 0) as hot_cell_hours_dosed,
        case
            when koper.hot_cell_hours > 0
                then koper.hot_cell_hours_dosed * 1.0 / koper.hot_cell_hours
        end as koper_share,
        -- hot cells over the whole day
        coalesce(hot_cell_totals.hot_cells_dosed, 0) as hot_cells_dosed,
        coalesce(hot_cell_totals.unvisited_hot_cells, 0) as unvisited_hot_cells,
        -- the station's teams' minutes, inside vs outside hot cells
        coalesce(own_team_minutes.patrol_minutes, 0.0) as patrol_minutes,
        coalesce(own_team_minutes.minutes_in_hot_cells, 0.0) as minutes_in_hot_cells,
        coalesce(own_team_minutes.patrol_minutes, 0.0)
        - coalesce(own_team_minutes.minutes_in_hot_cells, 0.0) as minutes_outside_hot_cells,
        case
            when own_team_minutes.patrol_minutes > 0
                then own_team_minutes.minutes_in_hot_cells / own_team_minutes.patrol_minutes
        end as hot_minutes_share,
        -- visibility (见警率) proxies
        coalesce(visible.visible_patrol_minutes, 0.0) as visible_patrol_minutes,
        station_population.residents,
        case
            when station_population.residents > 0
                then
                    coalesce(visible.visible_patrol_minutes, 0.0) * 1000.0
                    / station_population.residents
        end as visible_minutes_per_1k_residents,
        case
            when hot_cell_totals.hot_cells > 0
                then hot_cell_totals.minutes_on_own_hot_cells / hot_cell_totals.hot_cells
        end as minutes_per_hot_cell,
        -- settings used
        params.hot_class_min,
        params.visit_minutes
    from stations
    cross join params
    left join hot_cell_totals on stations.station_id = hot_cell_totals.station_id
    left join top_hour_counts on stations.station_id = top_hour_counts.station_id
    left join koper on stations.station_id = koper.station_id
    left join own_team_minutes on stations.station_id = own_team_minutes.station_id
    left join visible on stations.station_id = visible.station_id
    left join station_population on stations.station_id = station_population.station_id
)

select * from final
