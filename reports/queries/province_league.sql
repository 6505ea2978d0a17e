-- query: province_league
-- one row per scope ('province', 'bureau', 'station') and scope_id for the day, by league place
-- used by: the province roll-up's totals and its leagues of bureaus and stations
select
    scope,
    scope_id,
    bureau_id,
    scope_name,
    run_status,
    stations,
    stations_meeting_norms,
    kpi_few_cases,
    previous_kpi_few_cases,
    kpi_few_cases_flag,
    kpi_good_order,
    previous_kpi_good_order,
    kpi_good_order_flag,
    kpi_stability,
    kpi_stability_flag,
    kpi_satisfaction,
    kpi_satisfaction_flag,
    rank_few_cases,
    rank_good_order,
    rank_stability,
    rank_satisfaction,
    mean_rank,
    league_place
from mart_province_league
where as_of_date = $as_of_date
order by scope, league_place
