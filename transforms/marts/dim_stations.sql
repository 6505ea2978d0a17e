-- model: dim_stations
-- grain: one row per station, as the reports see it (no personal data exists here)
-- key: station_id
-- materialized: table
with

stations as (
    select * from stg_stations
),

final as (
    select
        -- ids
        station_id,
        bureau_id,
        -- attributes
        station_name,
        station_type,
        bureau_name,
        bureau_type,
        -- measures
        officer_count,
        bureau_officer_count,
        -- place
        lon,
        lat
    from stations
)

select * from final
