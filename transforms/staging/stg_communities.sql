-- model: stg_communities
-- grain: one row per community or village, from the latest reference delivery up to $loaded_through
-- key: community_id
-- materialized: table
-- parameters: $loaded_through
with

source as (
    select * from accepted_communities
    where _partition_date <= $loaded_through
),

latest_delivery as (
    select max(_partition_date) as partition_date from source
),

final as (
    select
        -- ids
        source.community_id,
        source.station_id,
        -- attributes
        source.community_name,
        source.area_type,
        source.has_police_office,
        source.is_complex_central_village,
        source.is_former_township_seat,
        source.is_remote,
        -- measures
        source.office_officer_count,
        source.radius_m,
        -- place
        source.lon,
        source.lat
    from source
    inner join latest_delivery on source._partition_date = latest_delivery.partition_date
    qualify row_number() over (
        partition by source.community_id order by source._file_path desc, source._line_number desc
    ) = 1
)

select * from final
