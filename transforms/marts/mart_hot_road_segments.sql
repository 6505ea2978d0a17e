-- model: mart_hot_road_segments
-- grain: one row per as_of_date and road segment (路段) that had a case in the window or in its
-- baseline; segments of the reference with no case in either are left out
-- key: as_of_date, road_segment_id
-- materialized: incremental
-- parameters: $as_of_date, $window_days (setting hotspot_window_days, default 28),
-- $baseline_weeks (setting baseline_weeks, default 52), $significance_z (setting
-- trend_significance_z, default 2)
--
-- cases: cases on the segment (stg_cases.road_segment_id) reported in the trailing $window_days
-- days ending $as_of_date. baseline_cases: those reported in the $baseline_weeks weeks just
-- before the window. expected_cases = baseline_cases / $baseline_weeks * $window_days / 7 (the
-- baseline weekly mean times 4 at the defaults). poisson_p = P(X >= cases) for
-- X ~ Poisson(expected_cases), one-sided (0 when cases > 0 and nothing was expected);
-- poisson_z = 2 (sqrt(cases) - sqrt(expected_cases)). is_baseline_complete is false while the
-- warehouse's case history does not reach back to the baseline's first day (the expected count
-- is then too low). Ranks are within the bureau (and within the station for
-- station_rank_by_count), 1 = highest, ties share a rank.
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

road_segments as (
    select
        road_segment_id,
        station_id,
        road_name,
        segment_name,
        length_m
    from stg_road_segments
),

all_cases as (
    select
        road_segment_id,
        reported_date
    from stg_cases
),

history as (
    select min(reported_date) as first_case_date from all_cases
),

segment_counts as (
    select
        all_cases.road_segment_id,
        count(*) filter (where all_cases.reported_date >= params.window_start_date) as cases,
        count(*) filter (where all_cases.reported_date < params.window_start_date)
            as baseline_cases
    from all_cases
    cross join params
    where
        all_cases.road_segment_id is not null
        and all_cases.reported_date between params.baseline_start_date and params.as_of_date
    group by all_cases.road_segment_id
),

measured as (
    select
        stations.bureau_id,
        road_segments.station_id,
        road_segments.road_segment_id,
        road_segments.road_name,
        road_segments.segment_name,
        road_segments.length_m,
        segment_counts.cases,
        segment_counts.baseline_cases,
        segment_counts.baseline_cases * 1.0 / params.baseline_weeks * params.window_days / 7.0
            as expected_cases,
        case
            when road_segments.length_m > 0
                then segment_counts.cases / (road_segments.length_m / 1000.0)
        end as cases_per_km
    from segment_counts
    inner join road_segments on segment_counts.road_segment_id = road_segments.road_segment_id
    left join stations on road_segments.station_id = stations.station_id
    cross join params
),

tested as (
    select
        *,
        poisson_upper_p(cases, expected_cases) as poisson_p,
        poisson_z(cases, expected_cases) as poisson_z
    from measured
),

final as (
    select
        params.as_of_date,
        -- ids
        tested.bureau_id,
        tested.station_id,
        tested.road_segment_id,
        -- attributes
        tested.road_name,
        tested.segment_name,
        tested.length_m,
        -- window and baseline
        params.window_start_date,
        params.baseline_start_date,
        history.first_case_date <= params.baseline_start_date as is_baseline_complete,
        -- measures
        tested.cases,
        tested.cases_per_km,
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
        rank() over (partition by tested.bureau_id order by tested.cases desc)
            as rank_by_count,
        rank() over (
            partition by tested.bureau_id order by tested.cases_per_km desc nulls last
        ) as rank_by_rate,
        rank() over (partition by tested.bureau_id order by tested.poisson_z desc) as rank_by_z,
        rank() over (partition by tested.station_id order by tested.cases desc)
            as station_rank_by_count
    from tested
    cross join params
    cross join history
)

select * from final
