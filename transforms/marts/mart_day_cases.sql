-- model: mart_day_cases
-- grain: one row per as_of_date and case reported on that day (no personal data)
-- key: as_of_date, case_id
-- materialized: incremental
-- parameters: $as_of_date
with

params as (
    select cast($as_of_date as date) as as_of_date
),

cases as (
    select * from stg_cases
),

final as (
    select
        params.as_of_date,
        -- ids
        cases.case_id,
        cases.station_id,
        cases.community_id,
        cases.road_segment_id,
        -- classification
        cases.kind,
        cases.category,
        cases.place_type,
        cases.status,
        -- timestamps
        cases.reported_at,
        -- place (WGS-84)
        cases.lon,
        cases.lat
    from cases
    inner join params on cases.reported_date = params.as_of_date
)

select * from final
