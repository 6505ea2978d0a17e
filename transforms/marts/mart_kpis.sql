-- model: mart_kpis
-- grain: one row per as_of_date, scope ('region', 'bureau' or 'station') and scope_id; the
-- region (scope_id 'all') is every station of the reference
-- key: as_of_date, scope, scope_id
-- materialized: incremental
-- parameters: $as_of_date, $scorecard_window_days (setting scorecard_window_days, default 28),
-- $significance_z (setting trend_significance_z, default 2)
--
-- The policy's four KPIs (发案少、秩序好、社会稳定、群众满意) as the KPI cards and league
-- tables show them, at every scope a page shows. A station's figures are its
-- mart_station_scorecard row; a bureau's and the region's are pooled from their stations' rows:
-- counts summed, rates recomputed from the summed numerators and denominators, the previous
-- window's likewise, so every scope has its previous values.
-- - is_previous_complete: the previous window (the $scorecard_window_days days before the
--   current one) lies wholly inside the warehouse's case history; before that its counts are
--   too low to compare with.
-- - kpi_few_cases (criminal cases) and kpi_good_order (public-order cases), lower is better:
--   previous_*, *_change (count difference), *_z (poisson_z), *_p (count_change_p, equal
--   windows), *_flag ('up', 'down', 'flat' or 'incomplete': count_change_flag, the rule of the
--   CompStat flags; incomplete also when a station lacks its previous count).
-- - kpi_stability (disputes resolved / disputes) and kpi_satisfaction (callbacks satisfied /
--   callbacks reached), higher is better: previous_*, *_change in percentage points, *_flag
--   ('better' or 'worse' than the previous window, 'no_previous' when either side is missing
--   or the previous window is incomplete). No significance test: the direction only.
-- - stations_meeting_norms: the scope's stations that meet every norm they have a figure for
--   (mart_station_scorecard's meets_* flags; a station with no figure at all does not count).
-- - The league (the commander view and the league tables): among the rows of one scope (every
--   station of the region, every bureau), rank_* on each KPI (1 = fewest cases / highest rate,
--   ties share the lowest rank, null when the KPI is), mean_rank = the mean of the known ranks,
--   league_place = 1, 2, ... by mean_rank (nulls last), then scope_id: the macro kpi_league
--   (transforms/macros/league.sql), which the province's league uses too.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($scorecard_window_days as integer) as window_days,
        cast($significance_z as double) as significance_z
),

history as (
    select min(reported_date) as first_case_date from stg_cases
),

station_cards as (
    select
        mart_station_scorecard.*,
        -- every norm the station has a figure for is met (and it has one at least)
        coalesce(
            greatest(
                mart_station_scorecard.meets_officer_norm,
                mart_station_scorecard.meets_force_share_norm,
                mart_station_scorecard.meets_residents_norm,
                mart_station_scorecard.meets_office_coverage_norm,
                mart_station_scorecard.meets_must_build_norm
            )
            is not null
            and coalesce(mart_station_scorecard.meets_officer_norm, true)
            and coalesce(mart_station_scorecard.meets_force_share_norm, true)
            and coalesce(mart_station_scorecard.meets_residents_norm, true)
            and coalesce(mart_station_scorecard.meets_office_coverage_norm, true)
            and coalesce(mart_station_scorecard.meets_must_build_norm, true),
            false
        ) as meets_all_norms
    from mart_station_scorecard
    cross join params
    where mart_station_scorecard.as_of_date = params.as_of_date
),

scoped as (
    select
        'station' as scope,
        station_id as scope_id,
        *
    from station_cards
    union all
    select
        'bureau' as scope,
        bureau_id as scope_id,
        *
    from station_cards
    where bureau_id is not null
    union all
    select
        'region' as scope,
        'all' as scope_id,
        *
    from station_cards
),

pooled as (
    select
        scope,
        scope_id,
        count(*) as stations,
        count(*) filter (where meets_all_norms) as stations_meeting_norms,
        cast(sum(kpi_few_cases) as bigint) as kpi_few_cases,
        cast(sum(previous_kpi_few_cases) as bigint) as previous_kpi_few_cases,
        bool_and(previous_kpi_few_cases is not null) as has_previous_few_cases,
        cast(sum(kpi_good_order) as bigint) as kpi_good_order,
        cast(sum(previous_kpi_good_order) as bigint) as previous_kpi_good_order,
        bool_and(previous_kpi_good_order is not null) as has_previous_good_order,
        cast(sum(disputes) as bigint) as disputes,
        cast(sum(disputes_resolved) as bigint) as disputes_resolved,
        cast(sum(previous_disputes) as bigint) as previous_disputes,
        cast(sum(previous_disputes_resolved) as bigint) as previous_disputes_resolved,
        cast(sum(callbacks_reached) as bigint) as callbacks_reached,
        cast(sum(callbacks_satisfied) as bigint) as callbacks_satisfied,
        cast(sum(previous_callbacks_reached) as bigint) as previous_callbacks_reached,
        cast(sum(previous_callbacks_satisfied) as bigint) as previous_callbacks_satisfied
    from scoped
    group by scope, scope_id
),

rates as (
    select
        pooled.*,
        coalesce(
            history.first_case_date <= params.as_of_date - (2 * params.window_days - 1), false
        ) as is_previous_complete,
        cast(pooled.disputes_resolved as double) / nullif(pooled.disputes, 0) as kpi_stability,
        cast(pooled.previous_disputes_resolved as double)
        / nullif(pooled.previous_disputes, 0) as previous_kpi_stability,
        cast(pooled.callbacks_satisfied as double)
        / nullif(pooled.callbacks_reached, 0) as kpi_satisfaction,
        cast(pooled.previous_callbacks_satisfied as double)
        / nullif(pooled.previous_callbacks_reached, 0) as previous_kpi_satisfaction,
        -- the counts' changes, judged once: z and p here, the flag below
        poisson_z(pooled.kpi_few_cases, pooled.previous_kpi_few_cases) as kpi_few_cases_z,
        count_change_p(pooled.kpi_few_cases, pooled.previous_kpi_few_cases, 0.5)
            as kpi_few_cases_p,
        poisson_z(pooled.kpi_good_order, pooled.previous_kpi_good_order) as kpi_good_order_z,
        count_change_p(pooled.kpi_good_order, pooled.previous_kpi_good_order, 0.5)
            as kpi_good_order_p
    from pooled
    cross join params
    cross join history
),

final as (  -- noqa: ST03, read by kpi_league through query_table
    select
        params.as_of_date,
        rates.scope,
        rates.scope_id,
        rates.stations,
        rates.stations_meeting_norms,
        rates.is_previous_complete,
        -- 发案少: criminal cases
        rates.kpi_few_cases,
        rates.previous_kpi_few_cases,
        rates.kpi_few_cases - rates.previous_kpi_few_cases as kpi_few_cases_change,
        rates.kpi_few_cases_z,
        rates.kpi_few_cases_p,
        count_change_flag(
            rates.kpi_few_cases_z,
            rates.kpi_few_cases_p,
            rates.is_previous_complete and rates.has_previous_few_cases,
            params.significance_z
        ) as kpi_few_cases_flag,
        -- 秩序好: public-order cases
        rates.kpi_good_order,
        rates.previous_kpi_good_order,
        rates.kpi_good_order - rates.previous_kpi_good_order as kpi_good_order_change,
        rates.kpi_good_order_z,
        rates.kpi_good_order_p,
        count_change_flag(
            rates.kpi_good_order_z,
            rates.kpi_good_order_p,
            rates.is_previous_complete and rates.has_previous_good_order,
            params.significance_z
        ) as kpi_good_order_flag,
        -- 社会稳定: dispute resolution rate
        rates.disputes,
        rates.disputes_resolved,
        rates.previous_disputes,
        rates.previous_disputes_resolved,
        rates.kpi_stability,
        rates.previous_kpi_stability,
        100.0 * (rates.kpi_stability - rates.previous_kpi_stability) as kpi_stability_change,
        case
            when
                not rates.is_previous_complete
                or rates.kpi_stability is null
                or rates.previous_kpi_stability is null
                then 'no_previous'
            when rates.kpi_stability > rates.previous_kpi_stability then 'better'
            else 'worse'
        end as kpi_stability_flag,
        -- 群众满意: satisfaction rate
        rates.callbacks_reached,
        rates.callbacks_satisfied,
        rates.previous_callbacks_reached,
        rates.previous_callbacks_satisfied,
        rates.kpi_satisfaction,
        rates.previous_kpi_satisfaction,
        100.0 * (rates.kpi_satisfaction - rates.previous_kpi_satisfaction)
            as kpi_satisfaction_change,
        case
            when
                not rates.is_previous_complete
                or rates.kpi_satisfaction is null
                or rates.previous_kpi_satisfaction is null
                then 'no_previous'
            when rates.kpi_satisfaction > rates.previous_kpi_satisfaction then 'better'
            else 'worse'
        end as kpi_satisfaction_flag
    from rates
    cross join params
)

select * from kpi_league('final')
