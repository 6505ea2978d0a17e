-- model: int_case_points
-- grain: one row per case of stg_cases whose station belongs to a bureau with a grid frame
-- key: case_id
-- materialized: table
-- parameters: $aoristic_max_hours (setting aoristic_max_window_hours, default 72); the frames
-- of int_bureau_frames use $cell_m
--
-- Where and when a case happened, for distance-and-time measures (near repeat):
-- - x_m, y_m: metres east and north of the bureau's grid origin, in the bureau's own local
--   projection (the macros of transforms/macros/grid.sql, as for the grid cells), so distances
--   between two cases of a bureau are plain Euclidean; null when lon or lat is missing.
--   Rounded to the millimetre: nothing is lost, and no long run of digits is left that a
--   personal-data scan would read as a phone number.
--   Unlike int_case_cells, a case outside the padded grid keeps its point.
-- - event_at: the middle of the occurrence window (occurred_from .. occurred_to), the window
--   cut to its first $aoristic_max_hours hours as in the time profile; the reported time when
--   the case has no window. event_date is its calendar date (Beijing time): many property
--   crimes are reported hours after they happened, and near repeat is about when they
--   happened.
with

params as (
    select cast($aoristic_max_hours as integer) as max_hours
),

cases as (
    select
        case_id,
        station_id,
        community_id,
        category,
        reported_at,
        reported_date,
        coalesce(occurred_from, occurred_to, reported_at) as window_start,
        coalesce(occurred_to, occurred_from, reported_at) as window_end_as_given,
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
    select
        bureau_id,
        origin_lon,
        origin_lat,
        projection_lat
    from int_bureau_frames
),

windows as (
    select
        cases.*,
        greatest(
            cases.window_start,
            least(cases.window_end_as_given, cases.window_start + to_hours(params.max_hours))
        ) as window_end
    from cases
    cross join params
),

final as (
    select
        -- ids
        windows.case_id,
        windows.station_id,
        stations.bureau_id,
        windows.community_id,
        -- attributes
        windows.category,
        -- place: WGS-84 and metres from the bureau's grid origin
        windows.lon,
        windows.lat,
        round(local_x_m(windows.lon, frames.origin_lon, frames.projection_lat), 3) as x_m,
        round(local_y_m(windows.lat, frames.origin_lat), 3) as y_m,
        windows.lon is not null and windows.lat is not null as has_point,
        -- timestamps and dates
        windows.reported_at,
        windows.reported_date,
        windows.window_start + (windows.window_end - windows.window_start) / 2 as event_at,
        cast(windows.window_start + (windows.window_end - windows.window_start) / 2 as date)
            as event_date
    from windows
    inner join stations on windows.station_id = stations.station_id
    inner join frames on stations.bureau_id = frames.bureau_id
)

select * from final
