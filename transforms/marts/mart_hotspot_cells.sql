-- model: mart_hotspot_cells
-- grain: one row per as_of_date, bureau and grid cell (every cell of int_grid_cells, empty ones
-- included)
-- key: as_of_date, bureau_id, cell_id
-- materialized: incremental
-- parameters: $as_of_date, $window_days (setting hotspot_window_days, default 28); the FDR
-- setting acts in int_gi_star
--
-- Getis-Ord Gi* of the case counts x (cases reported in the trailing $window_days days ending
-- $as_of_date, by reported date) over all n cells of the bureau:
--   z_i = (sum_j w_ij x_j - mean * W_i) / (S * sqrt((n * S1_i - W_i^2) / (n - 1)))
-- with w_ij = 1 for the 3 x 3 window around cell i (i itself included; truncated at the grid's
-- edge, not wrapped), W_i = sum_j w_ij, S1_i = sum_j w_ij^2 (= W_i for 0/1 weights), mean and S
-- the mean and population standard deviation of x over the bureau's n cells. gi_z is null when
-- S = 0 (no variation, e.g. no cases at all) or the denominator vanishes (n <= W_i).
-- The Gi* itself is int_gi_star's slice 0 (the one Gi* model, shared with the weekly slices
-- behind the emerging hotspots); W_i, z_i and hot_class are the macros of
-- transforms/macros/gi_star.sql.
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
        cast($window_days as integer) as window_days
),

cells as (
    select * from int_grid_cells
),

window_gi as (
    select * from int_gi_star
    where slice_index = 0
),

window_cases as (
    select int_case_cells.*
    from int_case_cells
    cross join params
    where
        int_case_cells.reported_date
        between params.as_of_date - params.window_days + 1 and params.as_of_date
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

bureau_totals as (
    select
        bureau_id,
        sum(cases) as cases_in_grid
    from window_gi
    group by bureau_id
),

final as (
    select
        params.as_of_date,
        -- ids
        cells.bureau_id,
        cells.cell_id,
        cells.cell_x,
        cells.cell_y,
        -- place (cell centre, WGS-84) and who answers for it
        cells.center_lon,
        cells.center_lat,
        cells.station_id,
        cells.community_id,
        -- window
        window_gi.slice_start_date as window_start_date,
        -- measures
        window_gi.cases,
        window_gi.neighbourhood_cases,
        window_gi.neighbour_count,
        window_gi.gi_z,
        window_gi.gi_p,
        window_gi.gi_p_fdr,
        window_gi.hot_class,
        window_gi.is_fdr_applied,
        -- the bureau's grid in the window
        window_gi.bureau_cells,
        cast(bureau_totals.cases_in_grid as bigint) as bureau_cases_in_grid,
        window_gi.bureau_mean_cases,
        window_gi.bureau_sd_cases,
        coalesce(bureau_losses.cases_outside_grid, 0) as bureau_cases_outside_grid,
        coalesce(bureau_losses.cases_without_coordinates, 0) as bureau_cases_without_coordinates
    from cells
    inner join window_gi
        on cells.bureau_id = window_gi.bureau_id and cells.cell_id = window_gi.cell_id
    cross join params
    left join bureau_totals on cells.bureau_id = bureau_totals.bureau_id
    left join bureau_losses on cells.bureau_id = bureau_losses.bureau_id
)

select * from final
