-- model: stg_patrol_shifts
-- grain: one row per patrol shift (a re-sent shift replaces the earlier record)
-- key: shift_id
-- materialized: table
-- parameters: $loaded_through
with

source as (
    select * from accepted_patrol_shifts
    where _partition_date <= $loaded_through
),

final as (
    select
        -- ids
        shift_id,
        station_id,
        team_id,
        vehicle_id,
        -- attributes
        mode,
        -- measures
        officer_count,
        date_diff('second', started_at, ended_at) / 3600.0 as shift_hours,
        officer_count * date_diff('second', started_at, ended_at) / 3600.0 as officer_hours,
        -- timestamps
        started_at,
        ended_at
    from source
    qualify row_number() over (
        partition by shift_id order by _partition_date desc, _file_path desc, _line_number desc
    ) = 1
)

select * from final
