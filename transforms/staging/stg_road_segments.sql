-- model: stg_road_segments
-- grain: one row per road segment, from the latest reference delivery up to $loaded_through
-- key: road_segment_id
-- materialized: table
-- parameters: $loaded_through
with

source as (
    select * from accepted_road_segments
    where _partition_date <= $loaded_through
),

latest_delivery as (
    select max(_partition_date) as partition_date from source
),

final as (
    select
        -- ids
        source.road_segment_id,
        source.station_id,
        -- attributes
        source.road_name,
        source.segment_name,
        -- measures
        source.length_m,
        -- place
        source.from_lon,
        source.from_lat,
        source.to_lon,
        source.to_lat
    from source
    inner join latest_delivery on source._partition_date = latest_delivery.partition_date
    qualify row_number() over (
        partition by source.road_segment_id
        order by source._file_path desc, source._line_number desc
    ) = 1
)

select * from final
