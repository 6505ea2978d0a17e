-- model: mart_patrol_team_days
-- grain: one row per as_of_date and patrol team (with its station) that had a shift overlapping
-- the day or a GPS ping on it
-- key: as_of_date, station_id, team_id
-- materialized: incremental
-- parameters: $as_of_date
--
-- From the shift logs (stg_patrol_shifts): shifts overlapping the day, and the part of them
-- inside the day: shift_hours = sum of overlap hours, officer_hours = sum of officer_count x
-- overlap hours (a shift over midnight is split between the two days).
-- From the GPS pings (int_patrol_pings): pings by status (jumps and fixes outside the grid are
-- counted, not credited); gps_patrol_minutes is the team's presence in grid cells
-- (mart_patrol_presence, summed over cells and hours).
-- gps_coverage_pct = gps_patrol_minutes / (shift_hours x 60) x 100: how much of the logged
-- shift time the GPS shows (null without shift hours; low values mean devices off or
-- missing, or a team that stayed outside the grid).
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($as_of_date as timestamp) as day_start,
        cast($as_of_date as timestamp) + interval 1 day as day_end
),

shifts as (
    select
        stg_patrol_shifts.station_id,
        stg_patrol_shifts.team_id,
        stg_patrol_shifts.officer_count,
        greatest(
            epoch(
                least(stg_patrol_shifts.ended_at, params.day_end)
                - greatest(stg_patrol_shifts.started_at, params.day_start)
            ),
            0.0
        ) / 3600.0 as hours_in_day
    from stg_patrol_shifts
    cross join params
    where
        stg_patrol_shifts.started_at < params.day_end
        and stg_patrol_shifts.ended_at > params.day_start
),

pings as (
    select
        station_id,
        team_id,
        device_id,
        ping_status
    from int_patrol_pings
),

presence as (
    select
        mart_patrol_presence.station_id,
        mart_patrol_presence.team_id,
        mart_patrol_presence.patrol_minutes
    from mart_patrol_presence
    inner join params on mart_patrol_presence.as_of_date = params.as_of_date
),

shift_totals as (
    select
        station_id,
        team_id,
        count(*) as shifts,
        cast(exact_sum(officer_count) as bigint) as officers_on_shifts,
        exact_sum(hours_in_day) as shift_hours,
        exact_sum(officer_count * hours_in_day) as officer_hours
    from shifts
    group by all
),

ping_totals as (
    select
        station_id,
        team_id,
        count(distinct device_id) as devices,
        count(*) as pings,
        count(*) filter (where ping_status = 'in_grid') as pings_in_grid,
        count(*) filter (where ping_status = 'jump') as pings_jump,
        count(*) filter (where ping_status = 'outside_grid') as pings_outside_grid,
        count(*) filter (where ping_status = 'no_grid') as pings_no_grid
    from pings
    group by all
),

presence_totals as (
    select
        station_id,
        team_id,
        exact_sum(patrol_minutes) as gps_patrol_minutes
    from presence
    group by all
),

final as (
    select
        params.as_of_date,
        -- ids
        coalesce(shift_totals.station_id, ping_totals.station_id) as station_id,
        coalesce(shift_totals.team_id, ping_totals.team_id) as team_id,
        -- shift logs
        coalesce(shift_totals.shifts, 0) as shifts,
        coalesce(shift_totals.officers_on_shifts, 0) as officers_on_shifts,
        coalesce(shift_totals.shift_hours, 0.0) as shift_hours,
        coalesce(shift_totals.officer_hours, 0.0) as officer_hours,
        -- GPS
        coalesce(ping_totals.devices, 0) as devices,
        coalesce(ping_totals.pings, 0) as pings,
        coalesce(ping_totals.pings_in_grid, 0) as pings_in_grid,
        coalesce(ping_totals.pings_jump, 0) as pings_jump,
        coalesce(ping_totals.pings_outside_grid, 0) as pings_outside_grid,
        coalesce(ping_totals.pings_no_grid, 0) as pings_no_grid,
        coalesce(presence_totals.gps_patrol_minutes, 0.0) as gps_patrol_minutes,
        case
            when shift_totals.shift_hours > 0
                then
                    100.0 * coalesce(presence_totals.gps_patrol_minutes, 0.0)
                    / (shift_totals.shift_hours * 60.0)
        end as gps_coverage_pct
    from shift_totals
    full join ping_totals
        on
            shift_totals.station_id = ping_totals.station_id
            and shift_totals.team_id = ping_totals.team_id
    left join presence_totals
        on
            coalesce(shift_totals.station_id, ping_totals.station_id) = presence_totals.station_id
            and coalesce(shift_totals.team_id, ping_totals.team_id) = presence_totals.team_id
    cross join params
)

select * from final
