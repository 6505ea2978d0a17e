-- macros: the Getis-Ord Gi* statistic of a grid cell, shared by every model that scores cells
-- (mart_hotspot_cells over the trailing window, int_cell_week_gi week by week)
--
-- Weights are binary over the 3 x 3 window around cell i (i itself included; truncated at the
-- grid's edge, not wrapped), so W_i = S1_i = the number of window cells inside the grid, and
--   z_i = (sum_j w_ij x_j - mean * W_i) / (S * sqrt((n * W_i - W_i^2) / (n - 1)))
-- with mean and S the mean and population standard deviation of x over the bureau's n cells.
-- The neighbourhood sum sum_j w_ij x_j is a join, not a macro: each model builds it sparsely
-- (every non-empty cell adds its count to the cells of its window).

-- W_i: the cells of the 3 x 3 window around (cell_x, cell_y) that lie inside an n_cols x n_rows
-- grid (9 inside, 6 on an edge, 4 in a corner)
create or replace macro gi_window_cells(cell_x, cell_y, n_cols, n_rows) as
(least(cell_x + 1, n_cols - 1) - greatest(cell_x - 1, 0) + 1)
* (least(cell_y + 1, n_rows - 1) - greatest(cell_y - 1, 0) + 1)
;

-- z_i from the window sum, W_i, n and the bureau's mean and population standard deviation;
-- null when S = 0 (no variation, e.g. no cases at all) or the denominator vanishes (n <= W_i)
create or replace macro gi_star_z(window_sum, window_cells, n_cells, mean_value, sd_value) as
case
    when sd_value > 0 and n_cells * window_cells - window_cells ^ 2 > 0
        then
            (window_sum - mean_value * window_cells)
            / (
                sd_value
                * sqrt((n_cells * window_cells - window_cells ^ 2) / (n_cells - 1))
            )
end
;

-- hot_class: +3 / +2 / +1 for a hot spot at 99% / 95% / 90% confidence (p < 0.01 / 0.05 /
-- 0.10, z > 0), -3 / -2 / -1 for a cold spot, 0 otherwise (and when z is null or 0); p is
-- whichever p-value the caller judges by (raw or FDR-adjusted)
create or replace macro gi_hot_class(z, p) as
case
    when z is null or z = 0 or p is null then 0
    when p < 0.01 then 3 * cast(sign(z) as integer)
    when p < 0.05 then 2 * cast(sign(z) as integer)
    when p < 0.10 then 1 * cast(sign(z) as integer)
    else 0
end
;
