-- model: mart_near_repeat
-- grain: one row per as_of_date, bureau, case category (those with at least
-- $near_repeat_min_events located cases in the lookback), distance band and time band
-- (3 x 3 bands, zeros included)
-- key: as_of_date, bureau_id, category, distance_band, time_band
-- materialized: incremental
-- parameters: $as_of_date, $near_repeat_lookback_days (setting near_repeat_lookback_days,
-- default 180), $near_repeat_permutations (setting near_repeat_permutations, default 999: the
-- most permutations a band draws), $near_repeat_seed (setting near_repeat_seed),
-- $near_repeat_min_events (setting near_repeat_min_events, default 30), $near_repeat_alpha
-- (setting near_repeat_alpha, default 0.05)
--
-- The Knox test of near repeat ("a case is followed by more of the same kind nearby, soon"):
-- the cases of one bureau and category reported in the $near_repeat_lookback_days days ending
-- $as_of_date that have coordinates are the events; every pair of them falls in a distance
-- band (metres between the two points in the bureau's projection: 0-100, 101-200, 201-400,
-- i.e. (0, 100], (100, 200], (200, 400], a distance of exactly 0 in the first) and a time band
-- (whole days between their event dates, int_case_points.event_date: 0-7, 8-14, 15-30).
-- pairs_observed counts the pairs in each of the 9 band cells. The null hypothesis is that
-- when a case happened has nothing to do with where: the event dates are shuffled among the
-- events and the pairs counted again. pairs_expected is the exact mean of that count over all
-- shuffles, P_d * T_t / C(n, 2) (P_d the pairs of the n events in distance band d, T_t the
-- pairs in time band t); knox_ratio = observed / expected (null when expected is 0).
-- p_value is Besag and Clifford's sequential Monte Carlo p (Biometrika 1991): a band's shuffles
-- are drawn until 10 of them (h) have a count >= observed, at most $near_repeat_permutations
-- (n). Stopped after l shuffles, p_value = h / l; never stopped, p_value = (1 + g) / (1 + n)
-- with g < h the shuffles at or above the observed count. permutations is l or n (the shuffles
-- the band's p used), permutations_at_least_observed h or g, and p_value_standard_error the
-- Monte Carlo standard error of p_value, sqrt(p (1 - p) / permutations) (for a stopped band
-- this is the delta-method error of h / l, p sqrt((1 - p) / h)). A band with a large p stops
-- after a few dozen shuffles; near $near_repeat_alpha = 0.05 a band draws about 200 (standard
-- error about 0.015) and below 0.01 all n (p resolved to 1 / (1 + n)). A band is significant
-- when p_value <= $near_repeat_alpha and knox_ratio > 1.
-- Shuffles are drawn in batches of 100, for the distance bands that still have an open time
-- band (one batch counts all 3 time bands of a pair at once), so a band's l is exact: the
-- stopping shuffle itself, however many shuffles its batch held.
-- Permutations are deterministic and pure SQL: in permutation k, the events are sorted by
-- hash(hash($near_repeat_seed, k, case_id)) (its top 40 bits, then case_id) and event number
-- r (in case_id order) takes the date of the r-th event in that order. random() is not used:
-- it is not reproducible across threads. The outer hash() matters: DuckDB's hash of several
-- values combines their hashes so loosely that orders by hash(seed, k, id) stay alike from one
-- k (and seed) to the next, and the permuted counts came out biased by 5-8 standard errors
-- against the exact permutation mean; hashing that hash again mixes it fully
-- (tests/transforms/test_near_repeat.py checks the mean of many permutations against the exact
-- Knox expectation). hash() is fixed within a DuckDB version: an upgrade may draw other
-- permutations (with the same distribution).
-- Only pairs within 400 m can fall in a band, so they are found once, through 400 m buckets
-- (each event meets the events of its own and the 8 surrounding buckets). Each permutation is
-- one sorted list of its group's dates (list_sort of integer keys, far cheaper than a window
-- over every event and permutation), and each distance band's pairs are two lists of event
-- numbers that pick their dates out of it, so a batch is counted in one vectorised pass.
with recursive

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($near_repeat_lookback_days as integer) as lookback_days,
        cast($near_repeat_permutations as integer) as permutations,
        cast($near_repeat_seed as bigint) as seed,
        cast($near_repeat_min_events as integer) as min_events,
        cast($near_repeat_alpha as double) as alpha,
        -- Besag-Clifford's h: a band stops once this many shuffles reach its observed count
        10 as stop_exceedances,
        -- shuffles drawn per step of permutation_steps
        100 as batch_size
),

-- the bands; the same limits decide a pair's band in close_pairs, observed and shuffled_counts
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
-- the group (in case_id order; the permutations pack it into 24 bits, far above any group)
events as materialized (
    select
        points.*,
        groups_.group_no,
        cast(row_number() over (
            partition by points.bureau_id, points.category order by points.case_id
        ) as integer) as event_no,
        cast(floor(points.x_m / 400.0) as bigint) as bucket_x,
        cast(floor(points.y_m / 400.0) as bigint) as bucket_y
    from points
    inner join groups_
        on points.bureau_id = groups_.bureau_id and points.category = groups_.category
),

-- each group's observed dates, element r the date of event number r
group_days as materialized (
    select
        group_no,
        list(event_day order by event_no) as event_days
    from events
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
        events.event_no,
        events.x_m,
        events.y_m,
        events.event_day,
        events.bucket_x + offsets.dx as near_bucket_x,
        events.bucket_y + offsets.dy as near_bucket_y
    from events
    cross join offsets
),

close_pairs as materialized (
    select
        first_.group_no,
        first_.event_no as first_no,
        second_.event_no as second_no,
        abs(first_.event_day - second_.event_day) as observed_gap_days,
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

-- per group and distance band, its pairs as two aligned lists of event numbers
pair_lists as materialized (
    select
        group_no,
        distance_band,
        list(first_no order by first_no, second_no) as first_nos,
        list(second_no order by first_no, second_no) as second_nos
    from close_pairs
    group by all
),

spatial_pairs as (
    select
        group_no,
        distance_band,
        count(*) as spatial_pairs
    from close_pairs
    group by all
),

-- every group and band cell, zeros included, with its observed count
observed as (
    select
        groups_.group_no,
        distance_bands.distance_band,
        time_bands.time_band,
        count(close_pairs.first_no) as pairs_observed
    from groups_
    cross join distance_bands
    cross join time_bands
    left join close_pairs
        on
            groups_.group_no = close_pairs.group_no
            and distance_bands.distance_band = close_pairs.distance_band
            and close_pairs.observed_gap_days
            between time_bands.time_min_days and time_bands.time_max_days
    group by all
),

-- the exact Knox expectation: under a uniform shuffle every spatial pair gets a uniformly drawn
-- pair of the n dates, so E[count] = P_d * T_t / C(n, 2); T_t from each group's dates by day
day_counts as (
    select
        group_no,
        event_day,
        count(*) as events
    from events
    group by all
),

time_band_pairs as (
    select
        first_.group_no,
        time_bands.time_band,
        -- twice the pairs (a day with itself counts its pairs twice), halved below
        sum(
            case
                when first_.event_day = second_.event_day
                    then first_.events * (first_.events - 1)
                else 2 * first_.events * second_.events
            end
        ) as event_pairs_twice
    from day_counts as first_
    inner join day_counts as second_
        on
            first_.group_no = second_.group_no
            and first_.event_day <= second_.event_day
    inner join time_bands
        on
            second_.event_day - first_.event_day
            between time_bands.time_min_days and time_bands.time_max_days
    group by all
),

expected as (
    select
        observed.group_no,
        observed.distance_band,
        observed.time_band,
        coalesce(spatial_pairs.spatial_pairs, 0)
        * coalesce(time_band_pairs.event_pairs_twice, 0) / 2.0
        / (groups_.events * (groups_.events - 1) / 2.0) as pairs_expected
    from observed
    inner join groups_ on observed.group_no = groups_.group_no
    left join spatial_pairs
        on
            observed.group_no = spatial_pairs.group_no
            and observed.distance_band = spatial_pairs.distance_band
    left join time_band_pairs
        on
            observed.group_no = time_band_pairs.group_no
            and observed.time_band = time_band_pairs.time_band
),

-- Besag-Clifford, one batch of shuffles per step: step 0 holds every cell with nothing drawn;
-- step b draws shuffles (b - 1) * batch_size + 1 .. b * batch_size (at most the permutations
-- setting) for the distance bands with an open cell, and carries each cell's shuffles drawn
-- (permutations), those at or above its observed count and whether it is still open. A cell
-- closes at the shuffle that brings it to stop_exceedances, or at the last permutation. The
-- rows of a step are the cells of the bands it drew for; a cell's last row is its result.
permutation_steps (
    step,
    group_no,
    distance_band,
    time_band,
    pairs_observed,
    permutations,
    permutations_at_least_observed,
    is_open
) as (
    select
        0 as step,
        observed.group_no,
        observed.distance_band,
        observed.time_band,
        observed.pairs_observed,
        0 as permutations,
        0 as permutations_at_least_observed,
        true as is_open
    from observed

    union all

    (
        with

        previous as (
            select * from permutation_steps
        ),

        open_bands as (
            select
                group_no,
                distance_band,
                any_value(step) + 1 as step
            from previous
            group by all
            having bool_or(is_open)
        ),

        batch as (
            select
                steps.step,
                cast(k.k as integer) as permutation
            from (select distinct step from open_bands) as steps
            cross join params
            cross join range(
                (steps.step - 1) * params.batch_size + 1,
                least(steps.step * params.batch_size, params.permutations) + 1
            ) as k (k)
        ),

        -- in permutation k, the group's event numbers in hash order (the top 40 bits of the
        -- hash, then the event number, i.e. case_id), packed into one integer key to sort
        shuffled_event_nos as (
            select
                events.group_no,
                batch.permutation,
                list_transform(
                    list_sort(list(
                        ((hash(hash(params.seed, batch.permutation, events.case_id)) >> 24) << 24)
                        | cast(events.event_no as ubigint)
                    )),
                    lambda packed: cast(packed & 16777215 as integer)  -- noqa: RF02, the argument
                ) as source_nos
            from events
            semi join open_bands on events.group_no = open_bands.group_no
            cross join batch
            cross join params
            group by all
        ),

        -- element r: the date event number r takes in permutation k
        shuffled_days as (
            select
                shuffled_event_nos.group_no,
                shuffled_event_nos.permutation,
                list_select(group_days.event_days, shuffled_event_nos.source_nos) as event_days
            from shuffled_event_nos
            inner join group_days on shuffled_event_nos.group_no = group_days.group_no
        ),

        -- per pair and permutation, the gap in days between its two events' shuffled dates
        -- (the two picked lists unnest side by side)
        shuffled_gaps as (
            select
                pair_lists.group_no,
                pair_lists.distance_band,
                shuffled_days.permutation,
                abs(
                    unnest(list_select(shuffled_days.event_days, pair_lists.first_nos))
                    - unnest(list_select(shuffled_days.event_days, pair_lists.second_nos))
                ) as gap_days
            from pair_lists
            inner join open_bands
                on
                    pair_lists.group_no = open_bands.group_no
                    and pair_lists.distance_band = open_bands.distance_band
            inner join shuffled_days on pair_lists.group_no = shuffled_days.group_no
        ),

        -- the time bands (as in time_bands above); gaps over 30 days fall in none
        shuffled_counts as (
            select
                group_no,
                distance_band,
                permutation,
                sum(cast(gap_days <= 7 as integer)) as band_1,
                sum(cast(gap_days between 8 and 14 as integer)) as band_2,
                sum(cast(gap_days between 15 and 30 as integer)) as band_3
            from shuffled_gaps
            group by all
        ),

        -- every cell of the open bands and permutation of the batch, zeros included, with the
        -- running count of shuffles at or above the observed count
        batch_cells as (
            select
                previous.group_no,
                previous.distance_band,
                previous.time_band,
                batch.permutation,
                previous.permutations_at_least_observed + sum(
                    cast(
                        coalesce(
                            [
                                shuffled_counts.band_1,
                                shuffled_counts.band_2,
                                shuffled_counts.band_3
                            ][previous.time_band],
                            0
                        ) >= previous.pairs_observed as integer
                    )
                ) over (
                    partition by previous.group_no, previous.distance_band, previous.time_band
                    order by batch.permutation
                ) as running_at_least_observed
            from previous
            inner join open_bands
                on
                    previous.group_no = open_bands.group_no
                    and previous.distance_band = open_bands.distance_band
            cross join batch
            left join shuffled_counts
                on
                    previous.group_no = shuffled_counts.group_no
                    and previous.distance_band = shuffled_counts.distance_band
                    and batch.permutation = shuffled_counts.permutation
            where previous.is_open
        ),

        batch_results as (
            select
                batch_cells.group_no,
                batch_cells.distance_band,
                batch_cells.time_band,
                min(batch_cells.permutation) filter (
                    where batch_cells.running_at_least_observed >= params.stop_exceedances
                ) as stop_permutation,
                max(batch_cells.permutation) as last_permutation,
                max(batch_cells.running_at_least_observed) as at_least_observed
            from batch_cells
            cross join params
            group by all
        )

        select
            open_bands.step,
            previous.group_no,
            previous.distance_band,
            previous.time_band,
            previous.pairs_observed,
            case
                when not previous.is_open then previous.permutations
                when batch_results.stop_permutation is not null
                    then batch_results.stop_permutation
                else batch_results.last_permutation
            end as permutations,
            case
                when not previous.is_open then previous.permutations_at_least_observed
                when batch_results.stop_permutation is not null then params.stop_exceedances
                else batch_results.at_least_observed
            end as permutations_at_least_observed,
            previous.is_open
            and batch_results.stop_permutation is null
            and batch_results.last_permutation < params.permutations as is_open
        from previous
        inner join open_bands
            on
                previous.group_no = open_bands.group_no
                and previous.distance_band = open_bands.distance_band
        cross join params
        left join batch_results
            on
                previous.group_no = batch_results.group_no
                and previous.distance_band = batch_results.distance_band
                and previous.time_band = batch_results.time_band
    )
),

knox as (
    select
        permutation_steps.group_no,
        permutation_steps.distance_band,
        permutation_steps.time_band,
        permutation_steps.pairs_observed,
        expected.pairs_expected,
        permutation_steps.permutations,
        permutation_steps.permutations_at_least_observed,
        case
            when permutation_steps.permutations_at_least_observed >= params.stop_exceedances
                then params.stop_exceedances / cast(permutation_steps.permutations as double)
            else
                (1 + permutation_steps.permutations_at_least_observed)
                / (1.0 + permutation_steps.permutations)
        end as p_value
    from permutation_steps
    cross join params
    inner join expected
        on
            permutation_steps.group_no = expected.group_no
            and permutation_steps.distance_band = expected.distance_band
            and permutation_steps.time_band = expected.time_band
    qualify row_number() over (
        partition by
            permutation_steps.group_no,
            permutation_steps.distance_band,
            permutation_steps.time_band
        order by permutation_steps.step desc
    ) = 1
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
        knox.p_value,
        sqrt(knox.p_value * (1 - knox.p_value) / knox.permutations) as p_value_standard_error,
        cast(knox.permutations as integer) as permutations,
        cast(knox.permutations_at_least_observed as integer) as permutations_at_least_observed,
        params.seed as permutation_seed,
        coalesce(
            knox.p_value <= params.alpha and knox.pairs_observed > knox.pairs_expected, false
        ) as is_significant
    from knox
    cross join params
    inner join groups_ on knox.group_no = groups_.group_no
    inner join distance_bands on knox.distance_band = distance_bands.distance_band
    inner join time_bands on knox.time_band = time_bands.time_band
)

select * from final
