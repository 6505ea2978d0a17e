-- model: int_patrol_pings
-- grain: one row per device and ping time of the day $as_of_date (Beijing wall time), every
-- ping of the day, with its grid cell, what happened to it (ping_status) and the seconds of
-- patrol presence it credits
-- key: device_id, pinged_at
-- materialized: table
-- parameters: $as_of_date, $ping_max_speed_kmh (setting ping_max_speed_kmh, default 150),
-- $ping_max_gap_s (setting ping_max_gap_s, default 120)
--
-- Duplicates: stg_patrol_pings already keeps one fix per device and second (a re-sent fix
-- replaces the earlier one).
-- Jumps: a fix is a GPS jump (ping_status 'jump', dropped) when the speed implied by the
-- straight line from the device's previous fix AND the one to its next fix both exceed
-- $ping_max_speed_kmh (the rule of transforms/macros/gps.sql, which validation applies too): a
-- single bad fix (a "teleport" or a 0/0 fix) is far from both of its
-- neighbours, while a real fast drive is far from neither. The first and last fix of a device
-- (only one neighbour) cannot be judged and are kept; the device-reported speed_kmh is not
-- trusted for this. Distances are measured in the bureau's grid projection (see
-- int_bureau_frames). Neighbours are looked for from an hour before the day to an hour after.
-- One pass over each device's fixes does it all (lag, lead and lead 2): a good fix between two
-- jumps is dropped too, and when two jumps follow each other the gap before them ends at the
-- second one (capped anyway).
-- Presence: each kept fix credits its own cell with the time to the device's next kept fix,
-- capped at $ping_max_gap_s (credited_s = least(gap, cap)), so a signal loss or a device
-- switched off does not count as presence; the device's last fix credits 0. A fix credits
-- the clock hour it falls in. Forward crediting (not half to each side) keeps every second in
-- the cell where the device was seen at its start; at 30 s pings the error is one ping.
-- ping_status: 'in_grid'; 'jump' (dropped); 'outside_grid' (beyond the bureau's grid: not in
-- any cell, but its time still ends the previous fix's gap); 'no_grid' (its station is unknown
-- or its bureau has no grid).
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($as_of_date as timestamp) as day_start,
        cast($as_of_date as timestamp) + interval 1 day as day_end,
        cast($ping_max_speed_kmh as double) as max_speed_kmh,
        cast($ping_max_gap_s as double) as max_gap_s
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

pings as (
    select
        stg_patrol_pings.device_id,
        stg_patrol_pings.shift_id,
        stg_patrol_pings.team_id,
        stg_patrol_pings.station_id,
        stg_patrol_pings.pinged_at,
        stg_patrol_pings.lon,
        stg_patrol_pings.lat
    from stg_patrol_pings
    cross join params
    where
        stg_patrol_pings.pinged_at >= params.day_start - interval 1 hour
        and stg_patrol_pings.pinged_at < params.day_end + interval 1 hour
),

projected as (
    select
        pings.*,
        stations.bureau_id,
        frames.bureau_id is not null as has_grid,
        frames.cell_m,
        local_x_m(pings.lon, frames.origin_lon, frames.projection_lat) as x_m,
        local_y_m(pings.lat, frames.origin_lat) as y_m,
        frames.n_cols,
        frames.n_rows
    from pings
    left join stations on pings.station_id = stations.station_id
    left join frames on stations.bureau_id = frames.bureau_id
),

-- the implied speeds from the previous fix, to the next, and from the next to the one after,
-- all in one pass over each device's fixes in time order
neighbours as (
    select
        *,
        implied_speed_kmh(
            x_m - lag(x_m) over by_time,
            y_m - lag(y_m) over by_time,
            epoch(pinged_at - lag(pinged_at) over by_time)
        ) as speed_from_previous_kmh,
        implied_speed_kmh(
            lead(x_m) over by_time - x_m,
            lead(y_m) over by_time - y_m,
            epoch(lead(pinged_at) over by_time - pinged_at)
        ) as speed_to_next_kmh,
        implied_speed_kmh(
            lead(x_m, 2) over by_time - lead(x_m) over by_time,
            lead(y_m, 2) over by_time - lead(y_m) over by_time,
            epoch(lead(pinged_at, 2) over by_time - lead(pinged_at) over by_time)
        ) as speed_next_to_after_kmh,
        epoch(lead(pinged_at) over by_time - pinged_at) as gap_to_following_s,
        epoch(lead(pinged_at, 2) over by_time - pinged_at) as gap_to_after_next_s
    from projected
    window by_time as (partition by device_id order by pinged_at)
),

-- a jump is far from both neighbours; the gap of a fix ends at the next fix that is not one
judged as (
    select
        neighbours.*,
        gps_fix_speed_kmh(neighbours.speed_from_previous_kmh, neighbours.speed_to_next_kmh)
        > params.max_speed_kmh as is_jump,
        case
            when
                gps_fix_speed_kmh(neighbours.speed_to_next_kmh, neighbours.speed_next_to_after_kmh)
                > params.max_speed_kmh
                then neighbours.gap_to_after_next_s
            else neighbours.gap_to_following_s
        end as gap_to_next_s
    from neighbours
    cross join params
),

located as (
    select
        judged.device_id,
        judged.shift_id,
        judged.team_id,
        judged.station_id,
        judged.bureau_id,
        judged.pinged_at,
        judged.lon,
        judged.lat,
        judged.speed_from_previous_kmh,
        judged.speed_to_next_kmh,
        judged.gap_to_next_s,
        grid_index(judged.x_m, judged.cell_m, judged.n_cols) as cell_x,
        grid_index(judged.y_m, judged.cell_m, judged.n_rows) as cell_y,
        case
            when judged.is_jump then 'jump'
            when not judged.has_grid then 'no_grid'
            when
                grid_index(judged.x_m, judged.cell_m, judged.n_cols) is null
                or grid_index(judged.y_m, judged.cell_m, judged.n_rows) is null
                then 'outside_grid'
            else 'in_grid'
        end as ping_status
    from judged
    cross join params
    where judged.pinged_at >= params.day_start and judged.pinged_at < params.day_end
),

credited as (
    select
        located.*,
        case
            when located.ping_status = 'in_grid'
                then least(coalesce(located.gap_to_next_s, 0.0), params.max_gap_s)
            else 0.0
        end as credited_s
    from located
    cross join params
),

final as (
    select
        -- ids
        device_id,
        shift_id,
        team_id,
        station_id,
        bureau_id,
        -- the cell (its cell_id is grid_cell_id(bureau_id, cell_x, cell_y))
        case when ping_status = 'in_grid' then cell_x end as cell_x,
        case when ping_status = 'in_grid' then cell_y end as cell_y,
        -- timestamps
        pinged_at,
        cast(hour(pinged_at) as integer) as ping_hour,
        -- place, WGS-84 (rounded to about 1 cm: long float tails look like phone numbers to
        -- the personal-data scan)
        round(lon, 7) as lon,
        round(lat, 7) as lat,
        -- quality
        ping_status,
        round(speed_from_previous_kmh, 2) as speed_from_previous_kmh,
        round(speed_to_next_kmh, 2) as speed_to_next_kmh,
        -- measures (seconds, to the millisecond)
        round(gap_to_next_s, 3) as gap_to_next_s,
        round(credited_s, 3) as credited_s
    from credited
)

select * from final
