-- model: int_gi_star
-- grain: one row per bureau, grid cell (every cell of int_grid_cells, empty ones included) and
-- time slice: slice 0 is the hotspot window (the $window_days days ending $as_of_date), slices
-- 1 .. $emerging_weeks the weeks of the emerging-hotspot cube
-- key: bureau_id, cell_id, slice_index
-- materialized: table
-- parameters: $as_of_date, $window_days (setting hotspot_window_days, default 28),
-- $emerging_weeks (setting emerging_weeks, default 12), $hotspot_fdr (setting hotspot_fdr,
-- default false)
--
-- The one computation of Getis-Ord Gi* in the project, for any slice of days (by reported
-- date); mart_hotspot_cells reads slice 0 and int_cell_week_gi the weeks. Week w (slice w,
-- 1 = the oldest) covers the 7 days ending $as_of_date - 7 * ($emerging_weeks - w), so the last
-- week ends on $as_of_date. For the case counts x of a slice over all n cells of the bureau:
--   z_i = (sum_j w_ij x_j - mean * W_i) / (S * sqrt((n * S1_i - W_i^2) / (n - 1)))
-- with w_ij = 1 for the 3 x 3 window around cell i (i itself included; truncated at the grid's
-- edge, not wrapped), W_i = sum_j w_ij, S1_i = sum_j w_ij^2 (= W_i for 0/1 weights), mean and S
-- the mean and population standard deviation of x over the bureau's n cells in that slice.
-- gi_z is null when S = 0 (no variation, e.g. no cases at all) or the denominator vanishes
-- (n <= W_i). W_i, z_i and hot_class are the macros of transforms/macros/gi_star.sql.
-- gi_p is two-sided; gi_p_fdr is Benjamini-Hochberg adjusted over the bureau's cells of the
-- slice (p_(k) m / k made monotone from the largest p down, capped at 1; tied p-values share the
-- adjusted p of the largest rank among them, as a row-by-row ranking gives them too), computed
-- once per distinct p-value (most cells share a few: an empty window's z depends only on W_i).
-- hot_class: +3 / +2 / +1 for a hot spot at 99% / 95% / 90% confidence (p < 0.01 / 0.05 /
-- 0.10, z > 0), -3 / -2 / -1 for a cold spot, 0 otherwise (and when gi_z is null); it judges by
-- gi_p_fdr instead of gi_p when $hotspot_fdr is true.
-- Neighbourhood sums are sparse: each non-empty (slice, cell) adds its count to the (slice,
-- cell) keys of its 3 x 3 window that exist in the grid.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($window_days as integer) as window_days,
        cast($emerging_weeks as integer) as weeks,
        cast($hotspot_fdr as boolean) as use_fdr
),

cells as (
    select
        bureau_id,
        cell_id,
        cell_x,
        cell_y
    from int_grid_cells
),

frames as (
    select
        bureau_id,
        n_cols,
        n_rows
    from int_bureau_frames
),

cases as (
    select
        bureau_id,
        cell_x,
        cell_y,
        reported_date
    from int_case_cells
    where location_status = 'in_grid'
),

-- slice 0: the hotspot window; slices 1 .. weeks: the weeks
weeks as (
    select
        0 as week_index,
        params.as_of_date - params.window_days + 1 as week_start_date,
        params.as_of_date as week_end_date
    from params
    union all
    select
        cast(w.week_index as integer) as week_index,
        params.as_of_date - 7 * (params.weeks - cast(w.week_index as integer)) - 6
            as week_start_date,
        params.as_of_date - 7 * (params.weeks - cast(w.week_index as integer))
            as week_end_date
    from params
    cross join range(1, params.weeks + 1) as w (week_index)
),

week_counts as (
    select
        cases.bureau_id,
        weeks.week_index,
        cases.cell_x,
        cases.cell_y,
        count(*) as cases
    from cases
    inner join weeks
        on cases.reported_date between weeks.week_start_date and weeks.week_end_date
    group by all
),

offsets as (
    select
        cast(dx.dx as integer) as dx,
        cast(dy.dy as integer) as dy
    from range(-1, 2) as dx (dx)
    cross join range(-1, 2) as dy (dy)
),

-- sum_j w_ij x_j per week: every non-empty cell adds its count to itself and its neighbours
neighbourhood_sums as (
    select
        week_counts.bureau_id,
        week_counts.week_index,
        week_counts.cell_x + offsets.dx as cell_x,
        week_counts.cell_y + offsets.dy as cell_y,
        sum(week_counts.cases) as neighbourhood_cases
    from week_counts
    cross join offsets
    inner join frames on week_counts.bureau_id = frames.bureau_id
    where
        week_counts.cell_x + offsets.dx between 0 and frames.n_cols - 1
        and week_counts.cell_y + offsets.dy between 0 and frames.n_rows - 1
    group by all
),

cell_weeks as (
    select
        cells.bureau_id,
        cells.cell_id,
        cells.cell_x,
        cells.cell_y,
        weeks.week_index,
        weeks.week_start_date,
        weeks.week_end_date,
        coalesce(week_counts.cases, 0) as cases,
        coalesce(neighbourhood_sums.neighbourhood_cases, 0) as neighbourhood_cases,
        gi_window_cells(cells.cell_x, cells.cell_y, frames.n_cols, frames.n_rows)
            as neighbour_count
    from cells
    inner join frames on cells.bureau_id = frames.bureau_id
    cross join weeks
    left join week_counts
        on
            cells.bureau_id = week_counts.bureau_id
            and weeks.week_index = week_counts.week_index
            and cells.cell_x = week_counts.cell_x
            and cells.cell_y = week_counts.cell_y
    left join neighbourhood_sums
        on
            cells.bureau_id = neighbourhood_sums.bureau_id
            and weeks.week_index = neighbourhood_sums.week_index
            and cells.cell_x = neighbourhood_sums.cell_x
            and cells.cell_y = neighbourhood_sums.cell_y
),

week_stats as (
    select
        bureau_id,
        week_index,
        count(*) as n_cells,
        avg(cases) as mean_cases,
        integer_stddev_pop(cases) as sd_cases
    from cell_weeks
    group by all
),

scored as (
    select
        cell_weeks.*,
        week_stats.n_cells,
        week_stats.mean_cases,
        week_stats.sd_cases,
        gi_star_z(
            cell_weeks.neighbourhood_cases,
            cell_weeks.neighbour_count,
            week_stats.n_cells,
            week_stats.mean_cases,
            week_stats.sd_cases
        ) as gi_z
    from cell_weeks
    inner join week_stats
        on
            cell_weeks.bureau_id = week_stats.bureau_id
            and cell_weeks.week_index = week_stats.week_index
),

with_p as (
    select
        *,
        normal_two_sided_p(gi_z) as gi_p
    from scored
),

-- Benjamini-Hochberg within each bureau and slice, once per distinct p-value
p_values as (
    select
        bureau_id,
        week_index,
        gi_p,
        count(*) as cells_at_p
    from with_p
    where gi_p is not null
    group by all
),

p_ranked as (
    select
        *,
        sum(cells_at_p) over (partition by bureau_id, week_index) as p_count,
        sum(cells_at_p) over (
            partition by bureau_id, week_index
            order by gi_p asc
            rows between unbounded preceding and current row
        ) as p_rank
    from p_values
),

p_adjusted as (
    select
        bureau_id,
        week_index,
        gi_p,
        least(1.0, min(gi_p * p_count / p_rank) over (
            partition by bureau_id, week_index
            order by gi_p desc
            rows between unbounded preceding and current row
        )) as gi_p_fdr
    from p_ranked
),

adjusted as (
    select
        with_p.*,
        p_adjusted.gi_p_fdr
    from with_p
    left join p_adjusted
        on
            with_p.bureau_id = p_adjusted.bureau_id
            and with_p.week_index = p_adjusted.week_index
            and with_p.gi_p = p_adjusted.gi_p
),

final as (
    select
        -- ids
        adjusted.bureau_id,
        adjusted.cell_id,
        adjusted.cell_x,
        adjusted.cell_y,
        adjusted.week_index as slice_index,
        -- slice
        adjusted.week_start_date as slice_start_date,
        adjusted.week_end_date as slice_end_date,
        -- measures
        adjusted.cases,
        cast(adjusted.neighbourhood_cases as bigint) as neighbourhood_cases,
        adjusted.neighbour_count,
        adjusted.gi_z,
        adjusted.gi_p,
        adjusted.gi_p_fdr,
        gi_hot_class(
            adjusted.gi_z,
            case when params.use_fdr then adjusted.gi_p_fdr else adjusted.gi_p end
        ) as hot_class,
        params.use_fdr as is_fdr_applied,
        -- the bureau's grid in the slice
        adjusted.n_cells as bureau_cells,
        adjusted.mean_cases as bureau_mean_cases,
        adjusted.sd_cases as bureau_sd_cases
    from adjusted
    cross join params
)

select * from final
