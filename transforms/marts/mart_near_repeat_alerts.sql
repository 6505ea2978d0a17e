-- model: mart_near_repeat_alerts
-- grain: one row per as_of_date, source case and significant near-repeat band of its bureau and
-- category (a case can raise several nested zones, one per significant band)
-- key: as_of_date, source_case_id, distance_band, time_band
-- materialized: incremental
-- parameters: $as_of_date, $near_repeat_alert_days (setting near_repeat_alert_days,
-- default 3); which bands are significant comes from mart_near_repeat of the same day
-- ($near_repeat_alpha, ...)
--
-- Near-repeat alert zones for the next shift: around every case reported in the
-- $near_repeat_alert_days days ending $as_of_date (with coordinates), whose bureau and category
-- have a significant Knox band today (p_value <= $near_repeat_alpha and knox_ratio > 1), a
-- circle centred on the case with radius = the band's upper distance (100, 200 or 400 m),
-- valid until (valid_until, a date: the last day the zone holds) the case's event date + the
-- band's upper time (7, 14 or 30 days). Zones already expired by the end of $as_of_date
-- (valid_until <= $as_of_date) are left out: they cannot guide the next shift. zone_rank
-- orders a case's zones from the strongest (highest ratio).
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($near_repeat_alert_days as integer) as alert_days
),

significant_bands as (
    select
        bureau_id,
        category,
        distance_band,
        distance_max_m,
        time_band,
        time_max_days,
        knox_ratio,
        p_value,
        pairs_observed,
        pairs_expected
    from mart_near_repeat
    where as_of_date = $as_of_date and is_significant
),

recent_cases as (
    select int_case_points.*
    from int_case_points
    cross join params
    where
        int_case_points.has_point
        and int_case_points.reported_date
        between params.as_of_date - params.alert_days + 1 and params.as_of_date
),

zones as (
    select
        recent_cases.case_id,
        recent_cases.bureau_id,
        recent_cases.station_id,
        recent_cases.community_id,
        recent_cases.category,
        recent_cases.lon,
        recent_cases.lat,
        recent_cases.event_date,
        recent_cases.reported_date,
        significant_bands.distance_band,
        significant_bands.distance_max_m,
        significant_bands.time_band,
        significant_bands.time_max_days,
        significant_bands.knox_ratio,
        significant_bands.p_value,
        significant_bands.pairs_observed,
        significant_bands.pairs_expected,
        recent_cases.event_date + significant_bands.time_max_days as valid_until
    from recent_cases
    inner join significant_bands
        on
            recent_cases.bureau_id = significant_bands.bureau_id
            and recent_cases.category = significant_bands.category
),

final as (
    select
        params.as_of_date,
        -- ids
        zones.case_id || ':' || zones.distance_band || ':' || zones.time_band as alert_id,
        zones.case_id as source_case_id,
        zones.bureau_id,
        zones.station_id,
        zones.community_id,
        zones.category,
        -- the zone
        zones.lon as center_lon,
        zones.lat as center_lat,
        cast(zones.distance_max_m as double) as radius_m,
        zones.valid_until,
        cast(row_number() over (
            partition by zones.case_id
            order by zones.knox_ratio desc, zones.distance_band asc, zones.time_band asc
        ) as integer) as zone_rank,
        -- the source case
        zones.event_date as source_event_date,
        zones.reported_date as source_reported_date,
        -- the Knox band behind it
        zones.distance_band,
        zones.time_band,
        zones.time_max_days,
        zones.knox_ratio,
        zones.p_value,
        zones.pairs_observed,
        zones.pairs_expected
    from zones
    cross join params
    where zones.valid_until > params.as_of_date
)

select * from final
