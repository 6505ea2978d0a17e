-- model: mart_province_league
-- grain: one row per as_of_date, scope ('province', 'bureau' or 'station') and scope_id; the
-- province (scope_id 'all') is every bureau of the routed station references
-- key: as_of_date, scope, scope_id
-- materialized: incremental
-- parameters: $as_of_date
--
-- The league of every bureau and every station of the province on the four KPIs. A bureau's
-- and a station's KPI figures are the rows of its bureau's mart_kpis, read from the bureau's
-- warehouse (computed once, there); the province's are pooled from the bureaus' rows as
-- mart_kpis pools a bureau's from its stations (counts summed, rates from the summed
-- numerators and denominators). What is new here are the ranks across the province: rank_* on
-- each KPI among all bureaus, or all stations, of the province (1 = fewest cases / highest
-- rate, ties share the lowest rank), mean_rank and league_place, by the macro kpi_league as in
-- mart_kpis. run_status is the bureau's (mart_province_quality): the figures of a bureau that
-- is not 'complete' are incomplete, and the page says so.
with

params as (
    select cast($as_of_date as date) as as_of_date
),

kpis as (
    select
        k.bureau_key as bureau_id,
        k.scope,
        k.scope_id,
        k.stations,
        k.stations_meeting_norms,
        k.kpi_few_cases,
        k.previous_kpi_few_cases,
        k.kpi_few_cases_flag,
        k.kpi_good_order,
        k.previous_kpi_good_order,
        k.kpi_good_order_flag,
        k.disputes,
        k.disputes_resolved,
        k.kpi_stability,
        k.kpi_stability_flag,
        k.callbacks_reached,
        k.callbacks_satisfied,
        k.kpi_satisfaction,
        k.kpi_satisfaction_flag
    from bureau_mart_kpis as k
    cross join params
    where k.as_of_date = params.as_of_date and k.scope in ('bureau', 'station')
),

province as (
    select
        'all' as bureau_id,
        'province' as scope,
        'all' as scope_id,
        sum(stations) as stations,
        sum(stations_meeting_norms) as stations_meeting_norms,
        sum(kpi_few_cases) as kpi_few_cases,
        sum(previous_kpi_few_cases) as previous_kpi_few_cases,
        cast(null as varchar) as kpi_few_cases_flag,
        sum(kpi_good_order) as kpi_good_order,
        sum(previous_kpi_good_order) as previous_kpi_good_order,
        cast(null as varchar) as kpi_good_order_flag,
        sum(disputes) as disputes,
        sum(disputes_resolved) as disputes_resolved,
        sum(disputes_resolved) / nullif(sum(disputes), 0) as kpi_stability,
        cast(null as varchar) as kpi_stability_flag,
        sum(callbacks_reached) as callbacks_reached,
        sum(callbacks_satisfied) as callbacks_satisfied,
        sum(callbacks_satisfied) / nullif(sum(callbacks_reached), 0) as kpi_satisfaction,
        cast(null as varchar) as kpi_satisfaction_flag
    from kpis
    where scope = 'bureau'
),

all_rows as (
    select * from kpis
    union all by name
    select * from province
),

bureau_names as (
    select distinct
        bureau_key,
        bureau_name
    from bureau_dim_stations
),

day_quality as (
    select
        q.bureau_id,
        q.run_status
    from mart_province_quality as q
    cross join params
    where q.as_of_date = params.as_of_date
),

named as (  -- noqa: ST03, read by kpi_league through query_table
    select
        params.as_of_date,
        all_rows.*,
        coalesce(s.station_name, b.bureau_name) as scope_name,
        q.run_status
    from all_rows
    left join bureau_dim_stations as s
        on all_rows.scope = 'station' and all_rows.scope_id = s.station_id
    left join bureau_names as b
        on all_rows.scope = 'bureau' and all_rows.scope_id = b.bureau_key
    left join day_quality as q on all_rows.bureau_id = q.bureau_id
    cross join params
)

select * from kpi_league('named')
