-- model: mart_station_scorecard
-- grain: one row per as_of_date and station of the reference (stg_stations)
-- key: as_of_date, station_id
-- materialized: incremental
-- parameters: $as_of_date, $officer_norm_urban / _town / _township (settings officer_norm_*,
-- defaults 20 / 10 / 5), $force_share_norm_county / _urban_district (settings
-- force_share_norm_*, defaults 0.40 / 0.50), $scorecard_window_days (setting
-- scorecard_window_days, default 28); the community norms' settings act in
-- mart_community_scorecard
--
-- The station against the policy's norms (DOMAIN.md); every norm has the figure and a meets_*
-- flag (null when the figure cannot be computed):
-- - Officers: officer_count >= officer_norm (urban 20, town 10, township 5); a station below
--   it cannot be rated first-class (is_first_class_eligible, on this criterion only).
-- - Force share: the bureau's stations' officers / the bureau's total force
--   (bureau_officer_count) >= 40% for a county/city bureau, 50% for an urban district
--   sub-bureau. A bureau figure, so the same on every station row of the bureau.
-- - Residents per community officer: sum of actual residents / sum of office officers over the
--   station's communities that have a population snapshot (communities_without_population
--   counts the others), also for urban and rural ones apart; meets_residents_norm when no
--   community fails its own norm (mart_community_scorecard; null when none has population).
-- - Office coverage: office_coverage_pct = 100 x communities with an office and at least one
--   officer ("一室一警") / communities; meets_office_coverage_norm at 100%.
-- - 三个必建: must_build_lacking_office = must-build communities without an office; meets at 0.
-- - Zero incidents: communities with no criminal or public-order case for at least
--   zero_incident_min_days, and the longest streak in days.
-- In the trailing $scorecard_window_days days ending $as_of_date (by reported date; callbacks by
-- callback date), with the same figure for the equally long period before (previous_*):
-- - five_type_share = criminal cases of the five station-handled types (five_type set) /
--   criminal cases; clearance_rate = those five-type cases now solved or closed / five-type
--   cases.
-- - dispute_resolution_rate = disputes marked resolved / disputes (pending ones count as not
--   resolved); repeat_dispute_communities from mart_community_scorecard.
-- - satisfaction_rate = callbacks satisfied or basically satisfied / callbacks that reached the
--   person (unreachable ones are left out).
-- - The four KPIs (发案少、秩序好、社会稳定、群众满意): kpi_few_cases = criminal cases,
--   kpi_good_order = public-order cases (lower is better), kpi_stability = dispute resolution
--   rate, kpi_satisfaction = satisfaction rate (higher is better); each with previous_*, the
--   change (*_change: count difference or percentage points) and *_improved (better than the
--   previous period; null when either side is missing). Counts also carry a Poisson z
--   (2 (sqrt(current) - sqrt(previous))). The previous window's numerators and denominators
--   (previous_disputes, previous_disputes_resolved, previous_callbacks_*) let mart_kpis pool
--   the rates of a bureau and of the region.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($officer_norm_urban as integer) as officer_norm_urban,
        cast($officer_norm_town as integer) as officer_norm_town,
        cast($officer_norm_township as integer) as officer_norm_township,
        cast($force_share_norm_county as double) as force_share_norm_county,
        cast($force_share_norm_urban_district as double) as force_share_norm_urban_district,
        cast($scorecard_window_days as integer) as window_days
),

stations as (
    select * from stg_stations
),

community_cards as (
    select mart_community_scorecard.*
    from mart_community_scorecard
    inner join params on mart_community_scorecard.as_of_date = params.as_of_date
),

cases as (
    select
        station_id,
        kind,
        five_type,
        status,
        is_dispute_resolved,
        callback_result,
        reported_date,
        cast(callback_at as date) as callback_date
    from stg_cases
),

-- current window = 'current', the equally long period before it = 'previous'
periods as (
    select
        'current' as period,
        params.as_of_date - params.window_days + 1 as start_date,
        params.as_of_date as end_date
    from params
    union all
    select
        'previous' as period,
        params.as_of_date - 2 * params.window_days + 1 as start_date,
        params.as_of_date - params.window_days as end_date
    from params
),

reported as (
    select
        periods.period,
        cases.station_id,
        count(*) filter (where cases.kind = 'criminal') as criminal_cases,
        count(*) filter (where cases.kind = 'public_order') as public_order_cases,
        count(*) filter (where cases.kind = 'criminal' and cases.five_type is not null)
            as five_type_cases,
        count(*) filter (
            where
            cases.kind = 'criminal'
            and cases.five_type is not null
            and cases.status in ('solved', 'closed')
        ) as five_type_cleared,
        count(*) filter (where cases.kind = 'dispute') as disputes,
        count(*) filter (where cases.kind = 'dispute' and cases.is_dispute_resolved)
            as disputes_resolved
    from cases
    inner join periods on cases.reported_date between periods.start_date and periods.end_date
    group by all
),

callbacks as (
    select
        periods.period,
        cases.station_id,
        count(*) filter (
            where cases.callback_result in ('satisfied', 'basically_satisfied', 'dissatisfied')
        ) as callbacks_reached,
        count(*) filter (where cases.callback_result in ('satisfied', 'basically_satisfied'))
            as callbacks_satisfied
    from cases
    inner join periods on cases.callback_date between periods.start_date and periods.end_date
    where cases.callback_result is not null
    group by all
),

period_figures as (
    select
        stations.station_id,
        periods.period,
        coalesce(reported.criminal_cases, 0) as criminal_cases,
        coalesce(reported.public_order_cases, 0) as public_order_cases,
        coalesce(reported.five_type_cases, 0) as five_type_cases,
        coalesce(reported.five_type_cleared, 0) as five_type_cleared,
        coalesce(reported.disputes, 0) as disputes,
        coalesce(reported.disputes_resolved, 0) as disputes_resolved,
        coalesce(callbacks.callbacks_reached, 0) as callbacks_reached,
        coalesce(callbacks.callbacks_satisfied, 0) as callbacks_satisfied,
        reported.five_type_cases * 1.0 / nullif(reported.criminal_cases, 0) as five_type_share,
        reported.five_type_cleared * 1.0 / nullif(reported.five_type_cases, 0)
            as clearance_rate,
        reported.disputes_resolved * 1.0 / nullif(reported.disputes, 0)
            as dispute_resolution_rate,
        callbacks.callbacks_satisfied * 1.0 / nullif(callbacks.callbacks_reached, 0)
            as satisfaction_rate
    from stations
    cross join periods
    left join reported
        on stations.station_id = reported.station_id and periods.period = reported.period
    left join callbacks
        on stations.station_id = callbacks.station_id and periods.period = callbacks.period
),

current_figures as (
    select * from period_figures
    where period = 'current'
),

previous_figures as (
    select * from period_figures
    where period = 'previous'
),

bureaus as (
    select
        bureau_id,
        sum(officer_count) as station_officers,
        max(bureau_officer_count) as bureau_officer_count
    from stations
    group by all
),

community_totals as (
    select
        station_id,
        count(*) as communities,
        count(*) filter (where has_police_office) as communities_with_office,
        count(*) filter (where is_office_staffed) as staffed_offices,
        count(*) filter (where has_police_office and not is_office_staffed)
            as offices_without_officer,
        count(*) filter (where is_must_build) as must_build_communities,
        count(*) filter (where is_must_build_lacking_office) as must_build_lacking_office,
        count(*) filter (where is_zero_incident) as zero_incident_communities,
        max(zero_incident_days) as longest_zero_incident_days,
        count(*) filter (where is_repeat_dispute_place) as repeat_dispute_communities,
        count(*) filter (where not has_population) as communities_without_population,
        sum(office_officer_count) as community_officers,
        sum(actual_residents) filter (where has_population) as residents,
        sum(office_officer_count) filter (where has_population) as officers_with_population,
        sum(actual_residents) filter (where has_population and area_type = 'urban')
            as urban_residents,
        sum(office_officer_count) filter (where has_population and area_type = 'urban')
            as urban_officers,
        sum(actual_residents) filter (where has_population and area_type = 'rural')
            as rural_residents,
        sum(office_officer_count) filter (where has_population and area_type = 'rural')
            as rural_officers,
        count(*) filter (where meets_residents_norm is not null) as communities_judged,
        count(*) filter (where not meets_residents_norm) as communities_over_residents_norm
    from community_cards
    group by all
),

judged as (
    select
        stations.*,
        case
            when stations.station_type = 'urban' then params.officer_norm_urban
            when stations.station_type = 'town' then params.officer_norm_town
            when stations.station_type = 'township' then params.officer_norm_township
        end as officer_norm,
        bureaus.station_officers as bureau_station_officers,
        bureaus.station_officers * 1.0 / nullif(bureaus.bureau_officer_count, 0)
            as bureau_force_share,
        case
            when stations.bureau_type = 'county' then params.force_share_norm_county
            when stations.bureau_type = 'urban_district'
                then params.force_share_norm_urban_district
        end as force_share_norm
    from stations
    cross join params
    left join bureaus on stations.bureau_id = bureaus.bureau_id
),

final as (
    select
        params.as_of_date,
        -- ids
        judged.station_id,
        judged.bureau_id,
        -- attributes
        judged.station_name,
        judged.station_type,
        judged.bureau_type,
        -- officers (urban 20 / town 10 / township 5)
        judged.officer_count,
        judged.officer_norm,
        judged.officer_count >= judged.officer_norm as meets_officer_norm,
        judged.officer_count >= judged.officer_norm as is_first_class_eligible,
        -- station force share of the bureau (40% county, 50% urban district)
        judged.bureau_officer_count,
        cast(judged.bureau_station_officers as bigint) as bureau_station_officers,
        judged.bureau_force_share,
        judged.force_share_norm,
        judged.bureau_force_share >= judged.force_share_norm as meets_force_share_norm,
        -- residents per community officer
        coalesce(community_totals.communities, 0) as communities,
        coalesce(community_totals.communities_without_population, 0)
            as communities_without_population,
        cast(coalesce(community_totals.community_officers, 0) as bigint) as community_officers,
        cast(community_totals.residents as bigint) as residents,
        community_totals.residents * 1.0
        / nullif(community_totals.officers_with_population, 0)
            as residents_per_community_officer,
        community_totals.urban_residents * 1.0 / nullif(community_totals.urban_officers, 0)
            as urban_residents_per_community_officer,
        community_totals.rural_residents * 1.0 / nullif(community_totals.rural_officers, 0)
            as rural_residents_per_community_officer,
        coalesce(community_totals.communities_over_residents_norm, 0)
            as communities_over_residents_norm,
        case
            when community_totals.communities_judged > 0
                then community_totals.communities_over_residents_norm = 0
        end as meets_residents_norm,
        -- police offices (警务室 100%, 一室一警)
        coalesce(community_totals.communities_with_office, 0) as communities_with_office,
        coalesce(community_totals.staffed_offices, 0) as staffed_offices,
        coalesce(community_totals.offices_without_officer, 0) as offices_without_officer,
        100.0 * community_totals.staffed_offices / nullif(community_totals.communities, 0)
            as office_coverage_pct,
        community_totals.staffed_offices = community_totals.communities
            as meets_office_coverage_norm,
        -- 三个必建
        coalesce(community_totals.must_build_communities, 0) as must_build_communities,
        coalesce(community_totals.must_build_lacking_office, 0) as must_build_lacking_office,
        coalesce(community_totals.must_build_lacking_office, 0) = 0 as meets_must_build_norm,
        -- zero incidents (零发案)
        coalesce(community_totals.zero_incident_communities, 0) as zero_incident_communities,
        community_totals.longest_zero_incident_days,
        -- the window
        params.as_of_date - params.window_days + 1 as window_start_date,
        -- five station-handled types and clearance
        current_figures.criminal_cases,
        current_figures.five_type_cases,
        current_figures.five_type_share,
        previous_figures.five_type_share as previous_five_type_share,
        current_figures.five_type_cleared,
        current_figures.clearance_rate,
        previous_figures.clearance_rate as previous_clearance_rate,
        -- disputes
        current_figures.disputes,
        current_figures.disputes_resolved,
        previous_figures.disputes as previous_disputes,
        previous_figures.disputes_resolved as previous_disputes_resolved,
        current_figures.dispute_resolution_rate,
        coalesce(community_totals.repeat_dispute_communities, 0) as repeat_dispute_communities,
        -- callbacks (回访)
        current_figures.callbacks_reached,
        current_figures.callbacks_satisfied,
        previous_figures.callbacks_reached as previous_callbacks_reached,
        previous_figures.callbacks_satisfied as previous_callbacks_satisfied,
        current_figures.satisfaction_rate,
        -- the four KPIs and their trends
        current_figures.criminal_cases as kpi_few_cases,
        previous_figures.criminal_cases as previous_kpi_few_cases,
        current_figures.criminal_cases - previous_figures.criminal_cases
            as kpi_few_cases_change,
        poisson_z(current_figures.criminal_cases, previous_figures.criminal_cases)
            as kpi_few_cases_z,
        current_figures.criminal_cases < previous_figures.criminal_cases
            as kpi_few_cases_improved,
        current_figures.public_order_cases as kpi_good_order,
        previous_figures.public_order_cases as previous_kpi_good_order,
        current_figures.public_order_cases - previous_figures.public_order_cases
            as kpi_good_order_change,
        poisson_z(current_figures.public_order_cases, previous_figures.public_order_cases)
            as kpi_good_order_z,
        current_figures.public_order_cases < previous_figures.public_order_cases
            as kpi_good_order_improved,
        current_figures.dispute_resolution_rate as kpi_stability,
        previous_figures.dispute_resolution_rate as previous_kpi_stability,
        100.0 * (current_figures.dispute_resolution_rate - previous_figures.dispute_resolution_rate)
            as kpi_stability_change,
        current_figures.dispute_resolution_rate > previous_figures.dispute_resolution_rate
            as kpi_stability_improved,
        current_figures.satisfaction_rate as kpi_satisfaction,
        previous_figures.satisfaction_rate as previous_kpi_satisfaction,
        100.0 * (current_figures.satisfaction_rate - previous_figures.satisfaction_rate)
            as kpi_satisfaction_change,
        current_figures.satisfaction_rate > previous_figures.satisfaction_rate
            as kpi_satisfaction_improved
    from judged
    cross join params
    left join community_totals on judged.station_id = community_totals.station_id
    left join current_figures on judged.station_id = current_figures.station_id
    left join previous_figures on judged.station_id = previous_figures.station_id
)

select * from final
