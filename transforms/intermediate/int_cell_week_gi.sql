-- model: int_cell_week_gi
-- grain: one row per bureau, grid cell (every cell of int_grid_cells, empty ones included) and
-- week of the $emerging_weeks weeks ending $as_of_date
-- key: bureau_id, cell_id, week_index
-- materialized: table
-- parameters: none of its own (int_gi_star's)
--
-- The weekly time slices of the space-time cube behind the emerging hotspots: the Gi* of each
-- week's case counts, as int_gi_star computes it for slices 1 .. $emerging_weeks (week 1 = the
-- oldest, the last week ends on $as_of_date), standardised by that week's own mean and standard
-- deviation, with gi_p two-sided, gi_p_fdr Benjamini-Hochberg adjusted over the bureau's cells
-- of the week and hot_class as in the hotspot mart. The emerging-hotspot mart reads each cell's
-- weeks as a time series.
select
    -- ids
    bureau_id,
    cell_id,
    cell_x,
    cell_y,
    slice_index as week_index,
    -- week
    slice_start_date as week_start_date,
    slice_end_date as week_end_date,
    -- measures
    cases,
    neighbourhood_cases,
    neighbour_count,
    gi_z,
    gi_p,
    gi_p_fdr,
    hot_class,
    is_fdr_applied,
    -- the bureau's grid in the week
    bureau_cells,
    bureau_mean_cases,
    bureau_sd_cases
from int_gi_star
where slice_index >= 1
