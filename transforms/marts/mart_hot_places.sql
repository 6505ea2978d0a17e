-- model: mart_hot_places
-- grain: one row per as_of_date, scope ('bureau' or 'station'), scope_id and place type (部位)
-- that had a case in the window or in its baseline in that scope
-- key: as_of_date, scope, scope_id, place_type
-- materialized: incremental
-- parameters: $as_of_date, $window_days (setting hotspot_window_days, default 28),
-- $baseline_weeks (setting baseline_weeks, default 52), $significance_z (setting
-- trend_significance_z, default 2)
--
-- cases: cases of the place type in the scope reported in the trailing $window_days days ending
-- $as_of_date. baseline_cases: those reported in the $baseline_weeks weeks just before the
-- window. expected_cases = baseline_cases / $baseline_weeks * $window_days / 7.
-- poisson_p = P(X >= cases) for X ~ Poisson(expected_cases), one-sided (0 when cases > 0 and
-- nothing was expected); poisson_z = 2 (sqrt(cases) - sqrt(expected_cases)); share = the place
-- type's part of the scope's cases in the window. Ranks are within the scope, 1 = highest, ties
-- share a rank. is_baseline_complete is false while the warehouse's case history does not reach
-- back to the baseline's first day (the expected count is then too low).
-- baseline_flag: the verdict on cases against expected_cases by the CompStat rule
-- (count_change_flag: 'up', 'down', 'flat', 'incomplete' without a complete baseline).
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($as_of_date as date) - cast($window_days as integer) + 1 as window_start_date,
        cast($as_of_date as date) - cast($window_days as integer) + 1
        - 7 * cast($baseline_weeks as integer) as baseline_start_date,
        cast($window_days as integer) as window_days,
        cast($baseline_weeks as integer) as baseline_weeks,
        cast($significance_z as double) as significance_z
),

stations as (
    select
        station_id,
        bureau_id
    from stg_stations
),

all_cases as (
    select
        station_id,
        place_type,
        reported_date
    from stg_cases
),

history as (
    select min(reported_date) as first_case_date from all_cases
),

period_cases as (
    select
        all_cases.station_id,
        stations.bureau_id,
        coalesce(all_cases.place_type, 'unknown') as place_type,
        all_cases.reported_date >= params.window_start_date as is_in_window
    from all_cases
    cross join params
    left join stations on all_cases.station_id = stations.station_id
    where all_cases.reported_date between params.baseline_start_date and params.as_of_date
),

scoped as (
    select
        'station' as scope,
        station_id as scope_id,
        place_type,
        is_in_window
    from period_cases
    union all
    select
        'bureau' as scope,
        bureau_id as scope_id,
        place_type,
        is_in_window
    from period_cases
    where bureau_id is not null
),

counts as (
    select
        scoped.scope,
        scoped.scope_id,
        scoped.place_type,
        count(*) filter (where scoped.is_in_window) as cases,
        count(*) filter (where not scoped.is_in_window) as baseline_cases
    from scoped
    group by all
),

expected as (
    select
        counts.*,
        counts.baseline_cases * 1.0 / params.baseline_weeks * params.window_days / 7.0
            as expected_cases
    from counts
    cross join params
),

tested as (
    select
        *,
        sum(cases) over (partition by scope, scope_id) as scope_cases,
        poisson_upper_p(cases, expected_cases) as poisson_p,
        poisson_z(cases, expected_cases) as poisson_z
    from expected
),

final as (
    select
        params.as_of_date,
        -- ids
        tested.scope,
        tested.scope_id,
        tested.place_type,
        -- window and baseline
        params.window_start_date,
        params.baseline_start_date,
        history.first_case_date <= params.baseline_start_date as is_baseline_complete,
        -- measures
        tested.cases,
        case when tested.scope_cases > 0 then tested.cases / tested.scope_cases end as share,
        tested.baseline_cases,
        tested.expected_cases,
        tested.cases - tested.expected_cases as excess_cases,
        tested.poisson_p,
        tested.poisson_z,
        -- the CompStat rule (count_change_flag); a rise's two-sided p is twice poisson_p, a fall
        -- is judged by z alone (poisson_p has no lower tail)
        count_change_flag(
            tested.poisson_z,
            case when tested.poisson_z > 0 then least(1.0, 2.0 * tested.poisson_p) else 0.0 end,
            history.first_case_date <= params.baseline_start_date,
            params.significance_z
        ) as baseline_flag,
        -- ranks
        rank() over (partition by tested.scope, tested.scope_id order by tested.cases desc)
            as rank_by_count,
        rank() over (partition by tested.scope, tested.scope_id order by tested.poisson_z desc)
            as rank_by_z
    from tested
    cross join params
    cross join history
)

select * from final
