-- model: stg_stations
-- grain: one row per station, from the latest reference delivery up to $loaded_through
-- key: station_id
-- materialized: table
-- parameters: $loaded_through
with

source as (
    select * from accepted_stations
    where _partition_date <= $loaded_through
),

latest_delivery as (
    select max(_partition_date) as partition_date from source
),

final as (
    select
        -- ids
        source.station_id,
        source.bureau_id,
        -- attributes
        source.station_name,
        source.station_type,
        source.bureau_name,
        source.bureau_type,
        -- measures
        source.officer_count,
        source.bureau_officer_count,
        -- place
        source.lon,
        source.lat
    from source
    inner join latest_delivery on source._partition_date = latest_delivery.partition_date
    qualify row_number() over (
        partition by source.station_id order by source._file_path desc, source._line_number desc
    ) = 1
)

select * from final
