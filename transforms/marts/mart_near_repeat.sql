-- model: mart_near_repeat
-- grain: one row per as_of_date, bureau, case category (those with at least
-- $near_repeat_min_events located cases in the lookback), distance band and time band
-- (3 x 3 bands, zeros included)
-- key: as_of_date, bureau_id, category, distance_band, time_band
-- materialized: incremental
-- parameters: $as_of_date, $near_repeat_lookback_days (setting near_repeat_lookback_days,
-- default 180), $near_repeat_permutations (setting near_repeat_permutations, default 99),
-- $near_repeat_seed (setting near_repeat_seed), $near_repeat_min_events (setting
-- near_repeat_min_events, default 30), $near_repeat_alpha (setting near_repeat_alpha,
-- default 0.05)
--
-- The Knox test of near repeat ("a case is followed by more of the same kind nearby, soon"):
-- the cases of one bureau and category reported in the $near_repeat_lookback_days days ending
-- $as_of_date that have coordinates are the events; every pair of them falls in a distance
-- band (metres between the two points in the bureau's projection: 0-100, 101-200, 201-400,
-- i.e. (0, 100], (100, 200], (200, 400], a distance of exactly 0 in the first) and a time band
-- (whole days between their event dates, int_case_points.event_date: 0-7, 8-14, 15-30).
-- pairs_observed counts the pairs in each of the 9 band cells. The null hypothesis is that
-- when a case happened has nothing to do with where: the event dates are shuffled among the
-- events $near_repeat_permutations times and the pairs counted again. knox_ratio = observed /
-- mean of the permuted counts (null when that mean is 0); p_value = (1 + the number of
-- permutations whose count is >= observed) / (1 + permutations); a band is significant when
-- p_value <= $near_repeat_alpha and knox_ratio > 1.
-- Permutations are deterministic and pure SQL: in permutation k, the events are ranked by
-- hash(hash($near_repeat_seed, k, case_id)) (then case_id) and the event of rank r takes the
-- date of the r-th event in case_id order. random() is not used: it is not reproducible across
-- threads. The outer hash() matters: DuckDB's hash of several values combines their hashes so
-- loosely that orders by hash(seed, k, id) stay alike from one k (and seed) to the next, and
-- the permuted counts came out biased by 5-8 standard errors against the exact permutation
-- mean; hashing that hash again mixes it fully (tests/transforms/test_near_repeat.py checks
-- the mean of many permutations against the exact Knox expectation). hash() is fixed within a
-- DuckDB version: an upgrade may draw other permutations (with the same distribution).
-- Only pairs within 400 m can fall in a band, so they are found once, through 400 m buckets
-- (each event meets the events of its own and the 8 surrounding buckets), and each pair carries
-- the list of its two events' dates in every permutation, so all permutations are counted in
-- one vectorised pass.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($near_repeat_lookback_days as integer) as lookback_days,
        cast($near_repeat_permutations as integer) as permutations,
        cast($near_repeat_seed as bigint) as seed,
        cast($near_repeat_min_events as integer) as min_events,
        cast($near_repeat_alpha as double) as alpha
),

-- the bands; the same limits decide a pair's band in close_pairs and pair_codes below
distance_bands as (
    select
        t.distance_band,
        t.distance_min_m,
        t.distance_max_m
    from (
        values (1, 0, 100), (2, 100, 200), (3, 200, 400)
    ) as t (distance_band, distance_min_m, distance_max_m)
),

time_bands as (
    select
        t.time_band,
        t.time_min_days,
        t.time_max_days
    from (
        values (1, 0, 7), (2, 8, 14), (3, 15, 30)
    ) as t (time_band, time_min_days, time_max_days)
),

points as (
    select
        int_case_points.bureau_id,
        int_case_points.category,
        int_case_points.case_id,
        int_case_points.x_m,
        int_case_points.y_m,
        cast(int_case_points.event_date - params.as_of_date as integer) as event_day
    from int_case_points
    cross join params
    where
        int_case_points.has_point
        and int_case_points.category is not null
        and int_case_points.reported_date
        between params.as_of_date - params.lookback_days + 1 and params.as_of_date
),

group_sizes as (
    select
        bureau_id,
        category,
        count(*) as events,
        min(event_day) as first_event_day,
        max(event_day) as last_event_day
    from points
    group by all
),

groups_ as (
    select
        group_sizes.*,
        cast(row_number() over (order by group_sizes.bureau_id, group_sizes.category) as integer)
            as group_no
    from group_sizes
    cross join params
    where group_sizes.events >= params.min_events
),

-- integer keys keep the joins below simple: group_no per bureau and category, event_no within
-- the group (in case_id order), event_key across all groups
events as (
    select
        points.*,
        groups_.group_no,
        cast(row_number() over (
            partition by points.bureau_id, points.category order by points.case_id
        ) as integer) as event_no,
        cast(row_number() over (
            order by points.bureau_id, points.category, points.case_id
        ) as integer) as event_key,
        cast(floor(points.x_m / 400.0) as bigint) as bucket_x,
        cast(floor(points.y_m / 400.0) as bigint) as bucket_y
    from points
    inner join groups_
        on points.bureau_id = groups_.bureau_id and points.category = groups_.category
),

permutation_numbers as (
    select cast(k.k as integer) as permutation
    from params
    cross join range(1, params.permutations + 1) as k (k)
),

-- in permutation k, the event of hash rank r takes the date of event number r
permutation_ranks as (
    select
        events.group_no,
        events.event_key,
        events.event_day as observed_day,
        permutation_numbers.permutation,
        cast(row_number() over (
            partition by events.group_no, permutation_numbers.permutation
            order by
                hash(hash(params.seed, permutation_numbers.permutation, events.case_id)),
                events.case_id
        ) as integer) as source_no
    from events
    cross join permutation_numbers
    cross join params
),

-- every event's date in every permutation, as a list: element 1 is the observed date,
-- element k + 1 the date in permutation k
event_days as (
    select
        permutation_ranks.event_key,
        list_prepend(
            any_value(permutation_ranks.observed_day),
            list(source.event_day order by permutation_ranks.permutation)
        ) as days
    from permutation_ranks
    inner join events as source
        on
            permutation_ranks.group_no = source.group_no
            and permutation_ranks.source_no = source.event_no
    group by all
),

offsets as (
    select
        cast(dx.dx as bigint) as dx,
        cast(dy.dy as bigint) as dy
    from range(-1, 2) as dx (dx)
    cross join range(-1, 2) as dy (dy)
),

-- each event with the 9 buckets around its own (its own included)
event_neighbourhoods as (
    select
        events.group_no,
        events.event_key,
        events.event_no,
        events.x_m,
        events.y_m,
        events.bucket_x + offsets.dx as near_bucket_x,
        events.bucket_y + offsets.dy as near_bucket_y
    from events
    cross join offsets
),

close_pairs as (
    select
        first_.group_no,
        first_.event_key as first_key,
        second_.event_key as second_key,
        case
            when (first_.x_m - second_.x_m) ^ 2 + (first_.y_m - second_.y_m) ^ 2 <= 100.0 ^ 2
                then 1
            when (first_.x_m - second_.x_m) ^ 2 + (first_.y_m - second_.y_m) ^ 2 <= 200.0 ^ 2
                then 2
            else 3
        end as distance_band
    from event_neighbourhoods as first_
    inner join events as second_
        on
            first_.group_no = second_.group_no
            and first_.near_bucket_x = second_.bucket_x
            and first_.near_bucket_y = second_.bucket_y
    where
        first_.event_no < second_.event_no
        and (first_.x_m - second_.x_m) ^ 2 + (first_.y_m - second_.y_m) ^ 2 <= 400.0 ^ 2
),

banded_pairs as (
    select
        close_pairs.group_no,
        close_pairs.distance_band,
        first_days.days as first_days,
        second_days.days as second_days
    from close_pairs
    inner join event_days as first_days on close_pairs.first_key = first_days.event_key
    inner join event_days as second_days on close_pairs.second_key = second_days.event_key
),

-- per pair and permutation (0 = the observed dates), the gap in days between its two events;
-- the two lists unnest side by side
pair_gaps as (
    select
        group_no,
        distance_band,
        unnest(range(0, len(first_days))) as permutation,
        unnest(first_days) as first_day,
        unnest(second_days) as second_day
    from banded_pairs
),

-- the time bands (as in time_bands above); gaps over 30 days fall in none
pair_codes as (
    select
        group_no,
        distance_band,
        permutation,
        case
            when abs(first_day - second_day) <= 7 then 1
            when abs(first_day - second_day) <= 14 then 2
            else 3
        end as time_band
    from pair_gaps
    where abs(first_day - second_day) <= 30
),

band_counts as (
    select
        group_no,
        distance_band,
        cast(permutation as integer) as permutation,
        time_band,
        count(*) as pairs
    from pair_codes
    group by all
),

-- every group, band cell and permutation (0 = observed), zeros included
cells as (
    select
        groups_.group_no,
        distance_bands.distance_band,
        time_bands.time_band,
        cast(k.k as integer) as permutation
    from groups_
    cross join distance_bands
    cross join time_bands
    cross join params
    cross join range(0, params.permutations + 1) as k (k)
),

cell_counts as (
    select
        cells.*,
        coalesce(band_counts.pairs, 0) as pairs
    from cells
    left join band_counts
        on
            cells.group_no = band_counts.group_no
            and cells.distance_band = band_counts.distance_band
            and cells.time_band = band_counts.time_band
            and cells.permutation = band_counts.permutation
),

observed as (
    select
        group_no,
        distance_band,
        time_band,
        pairs as pairs_observed
    from cell_counts
    where permutation = 0
),

knox as (
    select
        observed.group_no,
        observed.distance_band,
        observed.time_band,
        observed.pairs_observed,
        avg(cell_counts.pairs) as pairs_expected,
        count(*) as permutations,
        count(*) filter (where cell_counts.pairs >= observed.pairs_observed)
            as permutations_at_least_observed
    from observed
    inner join cell_counts
        on
            observed.group_no = cell_counts.group_no
            and observed.distance_band = cell_counts.distance_band
            and observed.time_band = cell_counts.time_band
            and cell_counts.permutation > 0
    group by all
),

final as (
    select
        params.as_of_date,
        -- ids
        groups_.bureau_id,
        groups_.category,
        -- bands
        knox.distance_band,
        distance_bands.distance_min_m,
        distance_bands.distance_max_m,
        knox.time_band,
        time_bands.time_min_days,
        time_bands.time_max_days,
        -- the events
        params.as_of_date - params.lookback_days + 1 as lookback_start_date,
        groups_.events,
        params.as_of_date + groups_.first_event_day as first_event_date,
        params.as_of_date + groups_.last_event_day as last_event_date,
        -- measures
        knox.pairs_observed,
        knox.pairs_expected,
        case when knox.pairs_expected > 0 then knox.pairs_observed / knox.pairs_expected end
            as knox_ratio,
        (1 + knox.permutations_at_least_observed) / (1.0 + knox.permutations) as p_value,
        cast(knox.permutations as integer) as permutations,
        params.seed as permutation_seed,
        coalesce(
            (1 + knox.permutations_at_least_observed) / (1.0 + knox.permutations) <= params.alpha
            and knox.pairs_observed > knox.pairs_expected,
            false
        ) as is_significant
    from knox
    cross join params
    inner join groups_ on knox.group_no = groups_.group_no
    inner join distance_bands on knox.distance_band = distance_bands.distance_band
    inner join time_bands on knox.time_band = time_bands.time_band
)

select * from final
