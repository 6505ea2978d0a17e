-- model: mart_community_scorecard
-- grain: one row per as_of_date and community or village of the reference (stg_communities)
-- key: as_of_date, community_id
-- materialized: incremental
-- parameters: $as_of_date, $residents_per_officer_urban (setting residents_per_officer_urban,
-- default 5000), $residents_per_officer_rural (setting residents_per_officer_rural, default
-- 3000; the source is cut off, so an assumption), $zero_incident_min_days (setting
-- zero_incident_min_days, default 90), $repeat_dispute_min (setting repeat_dispute_min,
-- default 3), $repeat_dispute_days (setting repeat_dispute_days, default 90)
--
-- The policy norms that are judged community by community (the station scorecard rolls them
-- up per station):
-- - Police office (警务室): has_police_office; is_office_staffed when it also has at least one
--   full-time officer ("一室一警"; office_officer_count).
-- - 三个必建: is_must_build when the community is a complex central village, a former township
--   seat or remote; is_must_build_lacking_office when such a community has no office.
-- - Residents per community officer: actual_residents (registered + floating) of the latest
--   population snapshot dated on or before $as_of_date, divided by office_officer_count;
--   residents_norm is $residents_per_officer_urban for urban communities and
--   $residents_per_officer_rural for rural villages. meets_residents_norm: residents <= norm x
--   officers (so no officer and any resident fails). Without a snapshot has_population is
--   false and the rate and the flag are null; with no officer the rate is null.
-- - Zero incidents (零发案): incidents are criminal and public-order cases (disputes and calls
--   for help are not 发案), by reported date, up to $as_of_date. zero_incident_days = days since
--   the last one (0 when there was one on $as_of_date); with none in the warehouse's history it
--   counts from the history's first case date and is_streak_since_history_start is true.
--   is_zero_incident when zero_incident_days >= $zero_incident_min_days.
-- - Repeat disputes: disputes reported in the $repeat_dispute_days days ending $as_of_date;
--   is_repeat_dispute_place when at least $repeat_dispute_min. The place key is the community
--   (every case carries one; a dispute's address is free text with personal data, and most
--   disputes happen at home rather than on a road segment).
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($residents_per_officer_urban as double) as norm_urban,
        cast($residents_per_officer_rural as double) as norm_rural,
        cast($zero_incident_min_days as integer) as zero_incident_min_days,
        cast($repeat_dispute_min as integer) as repeat_dispute_min,
        cast($repeat_dispute_days as integer) as repeat_dispute_days
),

communities as (
    select * from stg_communities
),

cases as (
    select
        community_id,
        kind,
        reported_date
    from stg_cases
),

population_in_force as (
    select
        community_id,
        snapshot_date,
        actual_residents
    from int_population_in_force
),

history as (
    select min(cases.reported_date) as first_case_date
    from cases
    cross join params
    where cases.reported_date <= params.as_of_date
),

last_incidents as (
    select
        cases.community_id,
        max(cases.reported_date) as last_incident_date
    from cases
    cross join params
    where
        cases.kind in ('criminal', 'public_order')
        and cases.reported_date <= params.as_of_date
    group by all
),

disputes as (
    select
        cases.community_id,
        count(*) as disputes
    from cases
    cross join params
    where
        cases.kind = 'dispute'
        and cases.reported_date
        between params.as_of_date - params.repeat_dispute_days + 1 and params.as_of_date
    group by all
),

measured as (
    select
        communities.*,
        coalesce(communities.has_police_office, false)
        and coalesce(communities.office_officer_count, 0) >= 1 as is_office_staffed,
        coalesce(communities.is_complex_central_village, false)
        or coalesce(communities.is_former_township_seat, false)
        or coalesce(communities.is_remote, false) as is_must_build,
        population_in_force.snapshot_date as population_snapshot_date,
        population_in_force.actual_residents,
        population_in_force.community_id is not null as has_population,
        case
            when communities.area_type = 'urban' then params.norm_urban
            when communities.area_type = 'rural' then params.norm_rural
        end as residents_norm,
        last_incidents.last_incident_date,
        coalesce(
            params.as_of_date - last_incidents.last_incident_date,
            params.as_of_date - history.first_case_date + 1
        ) as zero_incident_days,
        last_incidents.last_incident_date is null as is_streak_since_history_start,
        coalesce(disputes.disputes, 0) as disputes
    from communities
    cross join params
    cross join history
    left join population_in_force
        on communities.community_id = population_in_force.community_id
    left join last_incidents on communities.community_id = last_incidents.community_id
    left join disputes on communities.community_id = disputes.community_id
),

final as (
    select
        params.as_of_date,
        -- ids
        measured.community_id,
        measured.station_id,
        -- attributes
        measured.community_name,
        measured.area_type,
        -- police office (警务室) and 一室一警
        coalesce(measured.has_police_office, false) as has_police_office,
        coalesce(measured.office_officer_count, 0) as office_officer_count,
        measured.is_office_staffed,
        -- 三个必建
        coalesce(measured.is_complex_central_village, false) as is_complex_central_village,
        coalesce(measured.is_former_township_seat, false) as is_former_township_seat,
        coalesce(measured.is_remote, false) as is_remote,
        measured.is_must_build,
        measured.is_must_build and not coalesce(measured.has_police_office, false)
            as is_must_build_lacking_office,
        -- residents per community officer
        measured.has_population,
        measured.population_snapshot_date,
        measured.actual_residents,
        case
            when measured.office_officer_count > 0
                then measured.actual_residents * 1.0 / measured.office_officer_count
        end as residents_per_community_officer,
        measured.residents_norm,
        case
            when measured.has_population and measured.residents_norm is not null
                then
                    measured.actual_residents
                    <= measured.residents_norm * coalesce(measured.office_officer_count, 0)
        end as meets_residents_norm,
        -- zero incidents (零发案)
        measured.last_incident_date,
        cast(measured.zero_incident_days as integer) as zero_incident_days,
        measured.is_streak_since_history_start,
        coalesce(measured.zero_incident_days >= params.zero_incident_min_days, false)
            as is_zero_incident,
        -- repeat disputes
        measured.disputes as disputes_in_period,
        measured.disputes >= params.repeat_dispute_min as is_repeat_dispute_place
    from measured
    cross join params
)

select * from final
