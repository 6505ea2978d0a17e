-- model: mart_hotspot_cells
-- grain: one row per as_of_date, bureau and grid cell (every cell of int_grid_cells, empty ones
-- included)
-- key: as_of_date, bureau_id, cell_id
-- materialized: incremental
-- parameters: $as_of_date, $window_days (setting hotspot_window_days, default 28),
-- $hotspot_fdr (setting hotspot_fdr, default false)
--
-- Getis-Ord Gi* of the case counts x (cases reported in the trailing $window_days days ending
-- $as_of_date, by reported date) over all n cells of the bureau:
--   z_i = (sum_j w_ij x_j - mean * W_i) / (S * sqrt((n * S1_i - W_i^2) / (n - 1)))
-- with w_ij = 1 for the 3 x 3 window around cell i (i itself included; truncated at the grid's
-- edge, not wrapped), W_i = sum_j w_ij, S1_i = sum_j w_ij^2 (= W_i for 0/1 weights), mean and S
-- the mean and population standard deviation of x over the bureau's n cells. gi_z is null when
-- S = 0 (no variation, e.g. no cases at all) or the denominator vanishes (n <= W_i).
-- W_i, z_i and hot_class are the macros of transforms/macros/gi_star.sql, shared with the
-- weekly Gi* behind the emerging hotspots.
-- gi_p is two-sided; gi_p_fdr is the Benjamini-Hochberg adjusted p over the bureau's cells.
-- hot_class: +3 / +2 / +1 for a hot spot at 99% / 95% / 90% confidence (p < 0.01 / 0.05 /
-- 0.10, z > 0), -3 / -2 / -1 for a cold spot, 0 otherwise (and when gi_z is null); it uses
-- gi_p_fdr instead of gi_p when $hotspot_fdr is true.
-- Neighbourhood sums are built sparsely: each non-empty cell adds its count to the 9 cells
-- (cell_x + dx, cell_y + dy) that exist, joined on those keys; W_i comes from the cell's
-- position (3 x 3 inside, 2 x 3 on an edge, 2 x 2 in a corner).
-- Cases outside their bureau's grid or without coordinates are not in any cell; their numbers
-- in the window are repeated on every row of the bureau (bureau_cases_outside_grid,
-- bureau_cases_without_coordinates) so the loss is visible.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($window_days as integer) as window_days,
        cast($hotspot_fdr as boolean) as use_fdr
),

cells as (
    select * from int_grid_cells
),

frames as (
    select
        bureau_id,
        n_cols,
        n_rows
    from int_bureau_frames
),

window_cases as (
    select int_case_cells.*
    from int_case_cells
    cross join params
    where
        int_case_cells.reported_date
        between params.as_of_date - params.window_days + 1 and params.as_of_date
),

cell_counts as (
    select
        bureau_id,
        cell_x,
        cell_y,
        count(*) as cases
    from window_cases
    where location_status = 'in_grid'
    group by all
),

bureau_losses as (
    select
        bureau_id,
        count(*) filter (where location_status = 'outside_grid') as cases_outside_grid,
        count(*) filter (where location_status = 'no_coordinates') as cases_without_coordinates
    from window_cases
    where bureau_id is not null
    group by all
),

offsets as (
    select
        cast(dx.dx as integer) as dx,
        cast(dy.dy as integer) as dy
    from range(-1, 2) as dx (dx)
    cross join range(-1, 2) as dy (dy)
),

-- sum_j w_ij x_j: every non-empty cell adds its count to itself and its existing neighbours
neighbourhood_sums as (
    select
        cell_counts.bureau_id,
        cell_counts.cell_x + offsets.dx as cell_x,
        cell_counts.cell_y + offsets.dy as cell_y,
        sum(cell_counts.cases) as neighbourhood_cases
    from cell_counts
    cross join offsets
    inner join frames on cell_counts.bureau_id = frames.bureau_id
    where
        cell_counts.cell_x + offsets.dx between 0 and frames.n_cols - 1
        and cell_counts.cell_y + offsets.dy between 0 and frames.n_rows - 1
    group by all
),

cell_values as (
    select
        cells.*,
        coalesce(cell_counts.cases, 0) as cases,
        coalesce(neighbourhood_sums.neighbourhood_cases, 0) as neighbourhood_cases,
        -- W_i: cells of the 3 x 3 window inside the grid
        gi_window_cells(cells.cell_x, cells.cell_y, frames.n_cols, frames.n_rows)
            as neighbour_count
    from cells
    inner join frames on cells.bureau_id = frames.bureau_id
    left join cell_counts
        on
            cells.bureau_id = cell_counts.bureau_id
            and cells.cell_x = cell_counts.cell_x
            and cells.cell_y = cell_counts.cell_y
    left join neighbourhood_sums
        on
            cells.bureau_id = neighbourhood_sums.bureau_id
            and cells.cell_x = neighbourhood_sums.cell_x
            and cells.cell_y = neighbourhood_sums.cell_y
),

bureau_stats as (
    select
        bureau_id,
        count(*) as n_cells,
        sum(cases) as cases_in_grid,
        avg(cases) as mean_cases,
        integer_stddev_pop(cases) as sd_cases
    from cell_values
    group by bureau_id
),

scored as (
    select
        cell_values.*,
        bureau_stats.n_cells,
        bureau_stats.cases_in_grid,
        bureau_stats.mean_cases,
        bureau_stats.sd_cases,
        gi_star_z(
            cell_values.neighbourhood_cases,
            cell_values.neighbour_count,
            bureau_stats.n_cells,
            bureau_stats.mean_cases,
            bureau_stats.sd_cases
        ) as gi_z
    from cell_values
    inner join bureau_stats on cell_values.bureau_id = bureau_stats.bureau_id
),

with_p as (
    select
        *,
        normal_two_sided_p(gi_z) as gi_p
    from scored
),

-- Benjamini-Hochberg: p_(k) * m / k, made monotone from the largest p down, capped at 1
ranked as (
    select
        *,
        count(gi_p) over (partition by bureau_id) as p_count,
        row_number() over (
            partition by bureau_id order by gi_p asc nulls last, cell_x asc, cell_y asc
        ) as p_rank
    from with_p
),

adjusted as (
    select
        *,
        case
            when gi_p is not null
                then least(1.0, min(gi_p * p_count / p_rank) over (
                    partition by bureau_id
                    order by p_rank desc
                    rows between unbounded preceding and current row
                ))
        end as gi_p_fdr
    from ranked
),

significance as (
    select
        adjusted.*,
        params.use_fdr,
        case when params.use_fdr then adjusted.gi_p_fdr else adjusted.gi_p end as class_p
    from adjusted
    cross join params
),

classified as (
    select
        *,
        gi_hot_class(gi_z, class_p) as hot_class
    from significance
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
        classified.center_lon,
        classified.center_lat,
        classified.station_id,
        classified.community_id,
        -- window
        params.as_of_date - params.window_days + 1 as window_start_date,
        -- measures
        classified.cases,
        cast(classified.neighbourhood_cases as bigint) as neighbourhood_cases,
        classified.neighbour_count,
        classified.gi_z,
        classified.gi_p,
        classified.gi_p_fdr,
        classified.hot_class,
        classified.use_fdr as is_fdr_applied,
        -- the bureau's grid in the window
        classified.n_cells as bureau_cells,
        cast(classified.cases_in_grid as bigint) as bureau_cases_in_grid,
        classified.mean_cases as bureau_mean_cases,
        classified.sd_cases as bureau_sd_cases,
        coalesce(bureau_losses.cases_outside_grid, 0) as bureau_cases_outside_grid,
        coalesce(bureau_losses.cases_without_coordinates, 0) as bureau_cases_without_coordinates
    from classified
    cross join params
    left join bureau_losses on classified.bureau_id = bureau_losses.bureau_id
)

select * from final
