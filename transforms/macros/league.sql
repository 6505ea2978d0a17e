-- macros: the league rule of the KPI league tables (mart_kpis within a bureau's warehouse,
-- mart_province_bureaus and mart_province_stations across the province)
--
-- mean_known_rank(r1, r2, r3, r4): the mean of the ranks that are known (not null) of the
-- four KPIs; null when none is. league_place then orders by it, nulls last, then by id.
create or replace macro mean_known_rank(r1, r2, r3, r4) as
(coalesce(r1, 0) + coalesce(r2, 0) + coalesce(r3, 0) + coalesce(r4, 0))
/ nullif(
    cast(r1 is not null as integer)
    + cast(r2 is not null as integer)
    + cast(r3 is not null as integer)
    + cast(r4 is not null as integer),
    0
)
;

-- league_rank(grp, v): v's rank among the rows of its group grp, 1 for the lowest v, ties
-- sharing the lowest rank; null when v is null (and nulls do not take ranks). Rank a KPI where
-- higher is better by its negation: league_rank(scope, -kpi_stability).
create or replace macro league_rank(grp, v) as
case when v is not null then rank() over (partition by grp, v is null order by v) end
;

-- kpi_league(rel): the rows of the relation named rel (a CTE or table with scope, scope_id and
-- the four KPIs kpi_few_cases, kpi_good_order, kpi_stability, kpi_satisfaction), each with its
-- league: rank_* on each KPI among the rows of its scope (league_rank; fewest cases, highest
-- rates first), mean_rank (mean_known_rank) and league_place = 1, 2, ... by mean_rank (nulls
-- last), then scope_id.
create or replace macro kpi_league(rel) as table
    select
        ranked.*,
        row_number() over (
            partition by ranked.scope order by ranked.mean_rank asc nulls last, ranked.scope_id asc
        ) as league_place
    from (
        select
            with_ranks.*,
            mean_known_rank(
                with_ranks.rank_few_cases,
                with_ranks.rank_good_order,
                with_ranks.rank_stability,
                with_ranks.rank_satisfaction
            ) as mean_rank
        from (
            select
                r.*,
                league_rank(r.scope, r.kpi_few_cases) as rank_few_cases,
                league_rank(r.scope, r.kpi_good_order) as rank_good_order,
                league_rank(r.scope, -r.kpi_stability) as rank_stability,
                league_rank(r.scope, -r.kpi_satisfaction) as rank_satisfaction
            from query_table(rel) as r  -- noqa: RF03, rel is the macro's argument
        ) as with_ranks
    ) as ranked
;
