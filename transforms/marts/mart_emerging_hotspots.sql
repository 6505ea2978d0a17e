-- model: mart_emerging_hotspots
-- grain: one row per as_of_date, bureau and grid cell (every cell of int_grid_cells)
-- key: as_of_date, bureau_id, cell_id
-- materialized: incremental
-- parameters: $as_of_date, $emerging_weeks (setting emerging_weeks, default 12),
-- $emerging_trend_p (setting emerging_trend_p, default 0.05); the weekly Gi* of
-- int_cell_week_gi also uses $hotspot_fdr
--
-- Emerging Hot Spot Analysis (Esri's categories) on each cell's weekly Gi* series: week w of
-- the n = $emerging_weeks weeks ending $as_of_date is a significant hot (cold) week when the
-- week's hot_class is > 0 (< 0), i.e. p < 0.10 (FDR-adjusted when $hotspot_fdr is true).
-- The trend is the Mann-Kendall test (macros in transforms/macros/trend_tests.sql) on the
-- cell's series of weekly gi_z (weeks with a null z, i.e. no variation in the bureau, are left
-- out); it is significant when its two-sided p < $emerging_trend_p.
-- "90% of the weeks" means at least 0.9 n weeks (11 of 12). With H hot weeks, C cold weeks,
-- R the run of hot weeks ending with the latest one, and "final" the latest week:
--   final hot, H >= 0.9 n:    intensifying (significant upward trend), diminishing (downward),
--                             persistent (no significant trend);
--   final not hot, H >= 0.9 n: historical;
--   final hot, H < 0.9 n:     oscillating (some week was a significant cold spot), else new
--                             (the final week is the only hot one), else consecutive (a single
--                             run of R >= 2 hot weeks at the end, never hot before it), else
--                             sporadic (hot on and off before);
--   otherwise:                no_pattern.
-- Cold spots mirror this with cold weeks and the opposite trends (spot_type = 'cold'); the
-- final week decides between the two families, and a cell is never both.
-- Where Esri's wording leaves a choice (documented in docs/metrics.md): "new" and "consecutive"
-- also require no significant cold week before (such a cell is oscillating), and "persistent"
-- requires the final week hot (a cell hot 11 of 12 weeks but not the last is historical).
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($emerging_weeks as integer) as weeks,
        cast($emerging_trend_p as double) as trend_p
),

cell_weeks as (
    select * from int_cell_week_gi
),

cells as (
    select
        cell_id,
        center_lon,
        center_lat,
        station_id,
        community_id
    from int_grid_cells
),

series as (
    select
        bureau_id,
        cell_id,
        cell_x,
        cell_y,
        min(week_start_date) as first_week_start_date,
        max(week_end_date) as last_week_end_date,
        count(*) as weeks,
        sum(cases) as cases,
        count(*) filter (where hot_class > 0) as hot_weeks,
        count(*) filter (where hot_class < 0) as cold_weeks,
        -- the latest week that was not hot (not cold); 0 when every week was
        coalesce(max(week_index) filter (where hot_class <= 0), 0) as last_not_hot_week,
        coalesce(max(week_index) filter (where hot_class >= 0), 0) as last_not_cold_week,
        arg_max(hot_class, week_index) as final_hot_class,
        arg_max(gi_z, week_index) as final_gi_z,
        -- the weeks in order (sorting the structs by their first field, week_index, is cheaper
        -- than several ordered aggregates)
        list_sort(list({
            'week_index': week_index, 'gi_z': gi_z, 'hot_class': hot_class, 'cases': cases
        })) as week_list
    from cell_weeks
    group by all
),

series_lists as (
    select
        * exclude (week_list),
        list_transform(week_list, lambda w: struct_extract(w, 'gi_z')) as gi_z_series,
        list_transform(week_list, lambda w: struct_extract(w, 'hot_class')) as hot_class_series,
        list_transform(week_list, lambda w: struct_extract(w, 'cases')) as cases_series,
        list_filter(
            list_transform(week_list, lambda w: struct_extract(w, 'gi_z')),
            lambda z: z is not null
        ) as trend_values
    from series
),

trend as (
    select
        *,
        weeks - last_not_hot_week as final_hot_run,
        weeks - last_not_cold_week as final_cold_run,
        mann_kendall_s(trend_values) as mk_s,
        mann_kendall_var(trend_values) as mk_var
    from series_lists
),

trend_z as (
    select
        *,
        mann_kendall_z(mk_s, mk_var) as mk_z
    from trend
),

tested as (
    select
        trend_z.*,
        normal_two_sided_p(trend_z.mk_z) as mk_p,
        coalesce(normal_two_sided_p(trend_z.mk_z) < params.trend_p, false)
            as is_trend_significant,
        trend_z.hot_weeks >= 0.9 * trend_z.weeks as is_mostly_hot,
        trend_z.cold_weeks >= 0.9 * trend_z.weeks as is_mostly_cold
    from trend_z
    cross join params
),

classified as (
    select
        *,
        case
            when final_hot_class > 0 or (final_hot_class = 0 and is_mostly_hot) then 'hot'
            when final_hot_class < 0 or (final_hot_class = 0 and is_mostly_cold) then 'cold'
        end as spot_type,
        case
            -- hot spots
            when final_hot_class > 0 and is_mostly_hot and is_trend_significant and mk_z > 0
                then 'intensifying'
            when final_hot_class > 0 and is_mostly_hot and is_trend_significant and mk_z < 0
                then 'diminishing'
            when final_hot_class > 0 and is_mostly_hot then 'persistent'
            when final_hot_class > 0 and cold_weeks > 0 then 'oscillating'
            when final_hot_class > 0 and hot_weeks = 1 then 'new'
            when final_hot_class > 0 and hot_weeks = final_hot_run then 'consecutive'
            when final_hot_class > 0 then 'sporadic'
            -- cold spots: the mirror image (intensifying = ever colder)
            when final_hot_class < 0 and is_mostly_cold and is_trend_significant and mk_z < 0
                then 'intensifying'
            when final_hot_class < 0 and is_mostly_cold and is_trend_significant and mk_z > 0
                then 'diminishing'
            when final_hot_class < 0 and is_mostly_cold then 'persistent'
            when final_hot_class < 0 and hot_weeks > 0 then 'oscillating'
            when final_hot_class < 0 and cold_weeks = 1 then 'new'
            when final_hot_class < 0 and cold_weeks = final_cold_run then 'consecutive'
            when final_hot_class < 0 then 'sporadic'
            -- no longer significant, but hot (cold) at least 90% of the weeks
            when is_mostly_hot or is_mostly_cold then 'historical'
            else 'no_pattern'
        end as pattern
    from tested
),

final as (
    select
        params.as_of_date,
        -- ids
        classified.bureau_id,
        classified.cell_id,
        classified.cell_x,
        classified.cell_y,
        -- place (cell centre, WGS-84) and who answers for it
        cells.center_lon,
        cells.center_lat,
        cells.station_id,
        cells.community_id,
        -- pattern
        classified.pattern,
        classified.spot_type,
        coalesce(
            classified.spot_type = 'hot'
            and classified.pattern in ('new', 'consecutive', 'intensifying'),
            false
        ) as is_emerging_hot_spot,
        -- weeks
        classified.first_week_start_date,
        classified.last_week_end_date,
        classified.weeks,
        classified.hot_weeks,
        classified.cold_weeks,
        classified.final_hot_run,
        classified.final_cold_run,
        classified.final_hot_class,
        classified.final_gi_z,
        -- series, oldest week first
        classified.cases,
        classified.cases_series,
        classified.gi_z_series,
        classified.hot_class_series,
        -- Mann-Kendall trend of gi_z
        classified.mk_s,
        classified.mk_var,
        classified.mk_z,
        classified.mk_p,
        classified.is_trend_significant,
        case
            when classified.is_trend_significant and classified.mk_z > 0 then 'up'
            when classified.is_trend_significant and classified.mk_z < 0 then 'down'
            else 'none'
        end as trend_direction
    from classified
    cross join params
    left join cells on classified.cell_id = cells.cell_id
)

select * from final
