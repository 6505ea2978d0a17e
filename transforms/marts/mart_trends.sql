-- model: mart_trends
-- grain: one row per as_of_date, scope ('region', 'bureau', 'station' or 'community'), scope_id,
-- dimension, category and time_window ('1d', '7d', '28d', 'ytd'); the region (scope_id 'all')
-- is every bureau of the warehouse: cases whose station has a bureau
-- key: as_of_date, scope, scope_id, dimension, category, time_window
-- materialized: incremental
-- parameters: $as_of_date, $significance_z (setting trend_significance_z, default 2)
--
-- CompStat comparisons of case counts by reported date (Beijing time):
-- - dimension 'total' has category = 'all' (every case); dimension 'category' has one row per
--   case category, dimension 'kind' one per kind (criminal, public_order, dispute, other), the
--   value in the column category ('other' exists as a category and as a kind, so filter on
--   dimension too). A total row exists for every scope of the reference data, zeros included;
--   a category or kind row exists when any of the three compared periods has a case.
-- - windows ending $as_of_date: 1d = the day, 7d and 28d = that many days, ytd = Jan 1 to the
--   day. previous_count (环比) counts the equally long period just before the window (for ytd
--   the same number of days before Jan 1). last_year_count (同比) counts the same calendar dates
--   a year earlier: the window ends on the same month and day last year (Feb 29 -> Feb 28) and
--   has the same length, except ytd, which runs from Jan 1 last year to that end date (so it can
--   be a day longer or shorter than this year's, around Feb 29: current_days and
--   last_year_days show it).
-- - pct_vs_previous / pct_vs_last_year are percent changes (25.0 = +25%), null when the base is
--   0. poisson_z = 2 (sqrt(current) - sqrt(previous)), poisson_z_vs_last_year likewise.
--   previous_p / last_year_p: the exact test of the change (count_change_p: current ~
--   Binomial(current + base, share), share = the current period's part of the two periods'
--   length). previous_flag / last_year_flag: 'up' or 'down' when |z| >= $significance_z and p
--   is at most the matching two-sided level (0.0455 for 2), 'incomplete' while the compared
--   period is not wholly in the case history, else 'flat' (count_change_flag, the one rule of
--   every page); is_significant / is_significant_vs_last_year when the flag is up or down.
-- - is_previous_complete / is_last_year_complete are false while the warehouse's case history
--   starts after that period's first day: its count is then too low to compare with.
-- - rate_per_10k = current_count per 10,000 actual residents (registered + floating) of the
--   scope, not annualised; each community's population is its latest snapshot dated on or
--   before $as_of_date, summed over the scope's communities; null when the scope has none.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($significance_z as double) as significance_z
),

current_windows as (
    select
        windows.time_window,
        windows.current_start_date,
        params.as_of_date as current_end_date
    from params
    cross join (
        values
        ('1d', params.as_of_date),
        ('7d', params.as_of_date - 6),
        ('28d', params.as_of_date - 27),
        ('ytd', cast(date_trunc('year', params.as_of_date) as date))
    ) as windows (time_window, current_start_date)
),

windows as (
    select
        time_window,
        current_start_date,
        current_end_date,
        cast(current_end_date - current_start_date + 1 as integer) as current_days,
        current_start_date
        - cast(current_end_date - current_start_date + 1 as integer) as previous_start_date,
        current_start_date - 1 as previous_end_date,
        case
            when time_window = 'ytd'
                then cast(date_trunc('year', current_end_date - interval 1 year) as date)
            else
                cast(current_end_date - interval 1 year as date)
                - cast(current_end_date - current_start_date as integer)
        end as last_year_start_date,
        cast(current_end_date - interval 1 year as date) as last_year_end_date
    from current_windows
),

date_range as (
    select
        least(min(previous_start_date), min(last_year_start_date)) as first_date,
        max(current_end_date) as last_date
    from windows
),

stations as (
    select
        station_id,
        bureau_id
    from stg_stations
),

history as (
    select min(reported_date) as first_case_date from stg_cases
),

communities as (
    select
        community_id,
        station_id
    from stg_communities
),

cases as (
    select
        stg_cases.reported_date,
        stg_cases.station_id,
        stg_cases.community_id,
        stations.bureau_id,
        coalesce(stg_cases.category, 'unknown') as category,
        coalesce(stg_cases.kind, 'unknown') as kind
    from stg_cases
    cross join date_range
    left join stations on stg_cases.station_id = stations.station_id
    where stg_cases.reported_date between date_range.first_date and date_range.last_date
),

population_in_force as (
    select
        community_id,
        snapshot_date,
        actual_residents
    from int_population_in_force
),

-- every scope of the reference data (and of the cases), for the total rows
scopes as (
    select
        'region' as scope,
        'all' as scope_id
    from stations
    where bureau_id is not null
    union
    select distinct
        'bureau' as scope,
        bureau_id as scope_id
    from stations
    where bureau_id is not null
    union
    select
        'station' as scope,
        station_id as scope_id
    from stations
    union
    select
        'station' as scope,
        station_id as scope_id
    from cases
    where station_id is not null
    union
    select
        'community' as scope,
        community_id as scope_id
    from communities
    union
    select
        'community' as scope,
        community_id as scope_id
    from cases
    where community_id is not null
),

scope_population as (
    select
        'community' as scope,
        community_id as scope_id,
        actual_residents,
        snapshot_date
    from population_in_force
    union all
    select
        'station' as scope,
        communities.station_id as scope_id,
        population_in_force.actual_residents,
        population_in_force.snapshot_date
    from population_in_force
    inner join communities on population_in_force.community_id = communities.community_id
    union all
    select
        'bureau' as scope,
        stations.bureau_id as scope_id,
        population_in_force.actual_residents,
        population_in_force.snapshot_date
    from population_in_force
    inner join communities on population_in_force.community_id = communities.community_id
    inner join stations on communities.station_id = stations.station_id
    where stations.bureau_id is not null
    union all
    select
        'region' as scope,
        'all' as scope_id,
        population_in_force.actual_residents,
        population_in_force.snapshot_date
    from population_in_force
    inner join communities on population_in_force.community_id = communities.community_id
    inner join stations on communities.station_id = stations.station_id
    where stations.bureau_id is not null
),

populations as (
    select
        scope,
        scope_id,
        cast(sum(actual_residents) as bigint) as population,
        max(snapshot_date) as population_snapshot_date
    from scope_population
    group by all
),

scoped_cases as (
    select
        'region' as scope,
        'all' as scope_id,
        reported_date,
        category,
        kind
    from cases
    where bureau_id is not null
    union all
    select
        'bureau' as scope,
        bureau_id as scope_id,
        reported_date,
        category,
        kind
    from cases
    where bureau_id is not null
    union all
    select
        'station' as scope,
        station_id as scope_id,
        reported_date,
        category,
        kind
    from cases
    where station_id is not null
    union all
    select
        'community' as scope,
        community_id as scope_id,
        reported_date,
        category,
        kind
    from cases
    where community_id is not null
),

dimensioned_cases as (
    select
        scope,
        scope_id,
        'total' as dimension,
        'all' as category,
        reported_date
    from scoped_cases
    union all
    select
        scope,
        scope_id,
        'category' as dimension,
        category,
        reported_date
    from scoped_cases
    union all
    select
        scope,
        scope_id,
        'kind' as dimension,
        kind as category,
        reported_date
    from scoped_cases
),

daily_counts as (
    select
        scope,
        scope_id,
        dimension,
        category,
        reported_date,
        count(*) as cases
    from dimensioned_cases
    group by all
),

window_counts as (
    select
        daily_counts.scope,
        daily_counts.scope_id,
        daily_counts.dimension,
        daily_counts.category,
        windows.time_window,
        coalesce(sum(daily_counts.cases) filter (
            where daily_counts.reported_date
            between windows.current_start_date and windows.current_end_date
        ), 0) as current_count,
        coalesce(sum(daily_counts.cases) filter (
            where daily_counts.reported_date
            between windows.previous_start_date and windows.previous_end_date
        ), 0) as previous_count,
        coalesce(sum(daily_counts.cases) filter (
            where daily_counts.reported_date
            between windows.last_year_start_date and windows.last_year_end_date
        ), 0) as last_year_count
    from daily_counts
    cross join windows
    group by all
),

-- total rows for every scope (zeros included), other rows when a compared period has a case
rows_wanted as (
    select
        scopes.scope,
        scopes.scope_id,
        'total' as dimension,
        'all' as category,
        windows.time_window
    from scopes
    cross join windows
    union
    select
        scope,
        scope_id,
        dimension,
        category,
        time_window
    from window_counts
    where current_count > 0 or previous_count > 0 or last_year_count > 0
),

compared as (
    select
        rows_wanted.*,
        cast(coalesce(window_counts.current_count, 0) as bigint) as current_count,
        cast(coalesce(window_counts.previous_count, 0) as bigint) as previous_count,
        cast(coalesce(window_counts.last_year_count, 0) as bigint) as last_year_count
    from rows_wanted
    left join window_counts
        on
            rows_wanted.scope = window_counts.scope
            and rows_wanted.scope_id = window_counts.scope_id
            and rows_wanted.dimension = window_counts.dimension
            and rows_wanted.category = window_counts.category
            and rows_wanted.time_window = window_counts.time_window
),

changes as (
    select
        params.as_of_date,
        -- ids
        compared.scope,
        compared.scope_id,
        compared.dimension,
        compared.category,
        compared.time_window,
        -- the compared periods
        windows.current_start_date,
        windows.current_end_date,
        windows.previous_start_date,
        windows.previous_end_date,
        windows.last_year_start_date,
        windows.last_year_end_date,
        windows.current_days,
        cast(windows.last_year_end_date - windows.last_year_start_date + 1 as integer)
            as last_year_days,
        -- false while the warehouse's case history starts after the period's first day
        coalesce(history.first_case_date <= windows.previous_start_date, false)
            as is_previous_complete,
        coalesce(history.first_case_date <= windows.last_year_start_date, false)
            as is_last_year_complete,
        -- counts
        compared.current_count,
        compared.previous_count,
        compared.last_year_count,
        -- changes
        case
            when compared.previous_count > 0
                then
                    100.0 * (compared.current_count - compared.previous_count)
                    / compared.previous_count
        end as pct_vs_previous,
        case
            when compared.last_year_count > 0
                then
                    100.0 * (compared.current_count - compared.last_year_count)
                    / compared.last_year_count
        end as pct_vs_last_year,
        poisson_z(compared.current_count, compared.previous_count) as poisson_z,
        poisson_z(compared.current_count, compared.last_year_count) as poisson_z_vs_last_year,
        -- rate
        case
            when populations.population > 0
                then compared.current_count * 10000.0 / populations.population
        end as rate_per_10k,
        populations.population,
        populations.population_snapshot_date
    from compared
    inner join windows on compared.time_window = windows.time_window
    cross join params
    cross join history
    left join populations
        on compared.scope = populations.scope and compared.scope_id = populations.scope_id
),

-- the one significance rule of the CompStat flags (macros/statistics.sql: count_change_p,
-- count_change_flag)
tested as (
    select
        changes.*,
        count_change_p(changes.current_count, changes.previous_count, 0.5) as previous_p,
        count_change_p(
            changes.current_count,
            changes.last_year_count,
            case
                when changes.current_days > 0 and changes.last_year_days > 0
                    then
                        cast(changes.current_days as double)
                        / (changes.current_days + changes.last_year_days)
                else 0.5
            end
        ) as last_year_p
    from changes
),

flagged as (
    select
        tested.*,
        count_change_flag(
            tested.poisson_z,
            tested.previous_p,
            tested.is_previous_complete,
            params.significance_z
        ) as previous_flag,
        count_change_flag(
            tested.poisson_z_vs_last_year,
            tested.last_year_p,
            tested.is_last_year_complete,
            params.significance_z
        ) as last_year_flag
    from tested
    cross join params
)

select
    flagged.*,
    flagged.previous_flag in ('up', 'down') as is_significant,
    flagged.last_year_flag in ('up', 'down') as is_significant_vs_last_year
from flagged
