-- model: dim_communities
-- grain: one row per community or village, with its station and bureau
-- key: community_id
-- materialized: table
with

communities as (
    select * from stg_communities
),

stations as (
    select
        station_id,
        bureau_id
    from stg_stations
),

final as (
    select
        -- ids
        communities.community_id,
        communities.station_id,
        stations.bureau_id,
        -- attributes
        communities.community_name,
        communities.area_type,
        communities.has_police_office,
        -- measures
        communities.office_officer_count,
        communities.radius_m,
        -- place
        communities.lon,
        communities.lat
    from communities
    left join stations on communities.station_id = stations.station_id
)

select * from final
