-- model: stg_case_history
-- grain: one row per accepted case record (every status a case went through), up to
-- $loaded_through; personal data is dropped here and never goes further
-- key: file_path, line_number
-- materialized: table
-- parameters: $loaded_through
with

source as (
    select * from accepted_cases
    where _partition_date <= $loaded_through
),

final as (
    select
        -- ids
        case_id,
        station_id,
        community_id,
        road_segment_id,
        -- classification
        kind,
        category,
        five_type,
        handled_by,
        place_type,
        -- timestamps (Beijing wall time)
        reported_at,
        occurred_from,
        occurred_to,
        updated_at,
        -- place, in WGS-84
        to_wgs84_lon(lon, lat, coord_system) as lon,
        to_wgs84_lat(lon, lat, coord_system) as lat,
        -- status and outcome
        status,
        is_dispute_resolved,
        callback_result,
        callback_at,
        -- lineage
        _partition_date as delivered_date,
        _file_path as file_path,
        _line_number as line_number
    from source
)

select * from final
