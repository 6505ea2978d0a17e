-- model: stg_patrol_pings
-- grain: one row per device and ping time (repeated fixes of a device at the same second
-- are collapsed to the latest delivered)
-- key: device_id, pinged_at
-- materialized: table
-- parameters: $loaded_through
with

source as (
    select * from accepted_patrol_pings
    where _partition_date <= $loaded_through
),

final as (
    select
        -- ids
        device_id,
        shift_id,
        team_id,
        station_id,
        -- timestamps
        pinged_at,
        -- place, in WGS-84
        to_wgs84_lon(lon, lat, coord_system) as lon,
        to_wgs84_lat(lon, lat, coord_system) as lat,
        -- measures
        speed_kmh
    from source
    qualify row_number() over (
        partition by device_id, pinged_at
        order by _partition_date desc, _file_path desc, _line_number desc
    ) = 1
)

select * from final
