-- model: mart_patrol_presence
-- grain: one row per as_of_date, patrolling team (with its station), grid cell and clock hour
-- (0-23) in which the team was seen; cells and hours without patrol have no row
-- key: as_of_date, station_id, team_id, cell_id, hour
-- materialized: incremental
-- parameters: $as_of_date (pings of that day); the cleaning settings ping_max_speed_kmh and
-- ping_max_gap_s act in int_patrol_pings
--
-- patrol_minutes: the team's presence in the cell during the hour, from the GPS pings cleaned
-- and credited in int_patrol_pings (jumps dropped, each fix credits the time to the device's
-- next fix capped at ping_max_gap_s). A team whose officers each carry a terminal counts its
-- presence once: the union of its devices' intervals [pinged_at, + credited_s) in the cell.
-- device_minutes adds up the devices instead (equal to patrol_minutes for a one-device team).
-- Sum patrol_minutes over teams for a cell's patrol team-minutes (two teams in a cell at once
-- count twice). A fix credits the hour it falls in, so a busy hour can show up to
-- ping_max_gap_s over 60 minutes. Minutes are rounded to 7 decimals (long float tails look like
-- phone numbers to the personal-data scan).
-- cell_station_id / cell_community_id: whose jurisdiction the cell is in (int_grid_cells),
-- which may differ from the patrolling station_id.
with

params as (
    select cast($as_of_date as date) as as_of_date
),

-- only what the union needs: the window sorts narrow rows
pings as (
    select
        station_id,
        team_id,
        bureau_id,
        device_id,
        cell_x,
        cell_y,
        ping_hour,
        pinged_at,
        credited_s
    from int_patrol_pings
    where ping_status = 'in_grid'
),

cells as (
    select
        bureau_id,
        cell_x,
        cell_y,
        cell_id,
        station_id,
        community_id,
        center_lon,
        center_lat
    from int_grid_cells
),

-- the part of each fix's interval [pinged_at, + credited_s) that no earlier interval of the
-- same team in the same cell covers: summed, the union of the team's intervals
team_union as (
    select
        *,
        max(epoch(pinged_at) + credited_s) over (
            partition by team_id, bureau_id, cell_x, cell_y
            order by pinged_at, device_id
            rows between unbounded preceding and 1 preceding
        ) as covered_until
    from pings
),

team_credited as (
    select
        *,
        greatest(
            0.0,
            epoch(pinged_at) + credited_s
            - greatest(epoch(pinged_at), coalesce(covered_until, epoch(pinged_at)))
        ) as team_credited_s
    from team_union
),

presence as (
    select
        station_id,
        team_id,
        bureau_id,
        cell_x,
        cell_y,
        ping_hour,
        exact_sum(team_credited_s) / 60.0 as patrol_minutes,
        exact_sum(credited_s) / 60.0 as device_minutes,
        count(distinct device_id) as devices,
        count(*) as pings
    from team_credited
    group by all
),

final as (
    select
        params.as_of_date,
        -- ids
        presence.station_id,
        presence.team_id,
        presence.bureau_id,
        grid_cell_id(presence.bureau_id, presence.cell_x, presence.cell_y) as cell_id,
        presence.cell_x,
        presence.cell_y,
        presence.ping_hour as hour,
        -- the cell: centre (WGS-84) and jurisdiction
        cells.center_lon,
        cells.center_lat,
        cells.station_id as cell_station_id,
        cells.community_id as cell_community_id,
        -- measures
        round(presence.patrol_minutes, 7) as patrol_minutes,
        round(presence.device_minutes, 7) as device_minutes,
        presence.devices,
        presence.pings
    from presence
    cross join params
    left join cells
        on
            presence.bureau_id = cells.bureau_id
            and presence.cell_x = cells.cell_x
            and presence.cell_y = cells.cell_y
)

select * from final
