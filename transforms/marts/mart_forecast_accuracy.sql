-- model: mart_forecast_accuracy
-- grain: one row per as_of_date, bureau (every bureau with a grid) and forecast method
-- ('gi_star', 'persistence')
-- key: as_of_date, bureau_id, method
-- materialized: incremental
-- parameters: $as_of_date, $forecast_top_k (setting forecast_top_k_cells, default 20),
-- $forecast_baseline_days (setting forecast_baseline_days, default 28)
--
-- Forecast accountability: were yesterday's hot cells where today's cases happened?
-- Day D = $as_of_date is scored; the forecasts were made at the end of D - 1:
--   'gi_star':     the $forecast_top_k cells of the bureau with the highest gi_z in
--                  mart_hotspot_cells of D - 1 (ties: more cases, then cell_id); cells with a
--                  null gi_z are never picked. No rows for D - 1 (the first day of history,
--                  or a day that was not run) means no forecast: is_forecast_available = false
--                  and every measure null.
--   'persistence': the baseline, the $forecast_top_k cells with the most cases in the
--                  $forecast_baseline_days days ending D - 1 (ties: cell_id); only cells with a
--                  case. It needs nothing but the cases, so it exists from the first day.
-- Cells are joined by cell_id, so a grid whose frame moved between D - 1 and D (reference data
-- changed) scores the cell at the same grid position.
-- With N = the bureau's in-grid cases reported on D, n = those in the forecast's a cells, and
-- A = all n_cells of the bureau's grid (cells are equal, so areas are cell counts):
--   hit_rate = n / N; area_share = a / A; pai = hit_rate / area_share (Chainey's predictive
--   accuracy index); pei = n / n*, n* = the most cases any a cells held on D (the day's top a
--   cells: the "equal-area" best; Hunt's PEI*). Null when N = 0 or n* = 0, never a division by
--   zero.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($forecast_top_k as integer) as top_k,
        cast($forecast_baseline_days as integer) as baseline_days
),

frames as (
    select
        bureau_id,
        n_cells,
        cell_m
    from int_bureau_frames
),

case_cells as (
    select
        bureau_id,
        cell_id,
        reported_date
    from int_case_cells
    where location_status = 'in_grid'
),

previous_hotspots as (
    select
        bureau_id,
        cell_id,
        gi_z,
        cases
    from mart_hotspot_cells
    where as_of_date = cast($as_of_date as date) - 1 and gi_z is not null
),

methods as (
    select t.method
    from (values ('gi_star'), ('persistence')) as t (method)
),

day_counts as (
    select
        case_cells.bureau_id,
        case_cells.cell_id,
        count(*) as cases
    from case_cells
    cross join params
    where case_cells.reported_date = params.as_of_date
    group by all
),

baseline_counts as (
    select
        case_cells.bureau_id,
        case_cells.cell_id,
        count(*) as cases
    from case_cells
    cross join params
    where
        case_cells.reported_date
        between params.as_of_date - params.baseline_days and params.as_of_date - 1
    group by all
),

gi_star_cells as (
    select
        'gi_star' as method,
        bureau_id,
        cell_id
    from previous_hotspots
    qualify row_number() over (
        partition by bureau_id order by gi_z desc, cases desc, cell_id asc
    ) <= (select params.top_k from params)
),

persistence_cells as (
    select
        'persistence' as method,
        bureau_id,
        cell_id
    from baseline_counts
    qualify row_number() over (
        partition by bureau_id order by cases desc, cell_id asc
    ) <= (select params.top_k from params)
),

forecast_cells as (
    select * from gi_star_cells
    union all
    select * from persistence_cells
),

captured as (
    select
        forecast_cells.method,
        forecast_cells.bureau_id,
        count(*) as cells_selected,
        coalesce(sum(day_counts.cases), 0) as cases_captured,
        list(forecast_cells.cell_id order by forecast_cells.cell_id) as selected_cell_ids
    from forecast_cells
    left join day_counts
        on
            forecast_cells.bureau_id = day_counts.bureau_id
            and forecast_cells.cell_id = day_counts.cell_id
    group by all
),

day_totals as (
    select
        bureau_id,
        sum(cases) as cases
    from day_counts
    group by all
),

-- the best any a cells could do on D: the day's busiest cells, for every a that occurs
day_ranked as (
    select
        bureau_id,
        cases,
        row_number() over (partition by bureau_id order by cases desc, cell_id asc) as cell_rank
    from day_counts
),

scored as (
    select
        frames.bureau_id,
        methods.method,
        frames.n_cells,
        frames.cell_m,
        coalesce(captured.cells_selected, 0) as cells_selected,
        captured.cases_captured,
        captured.selected_cell_ids,
        coalesce(day_totals.cases, 0) as cases_total,
        (
            select coalesce(sum(day_ranked.cases), 0)
            from day_ranked
            where
                day_ranked.bureau_id = frames.bureau_id
                and day_ranked.cell_rank <= coalesce(captured.cells_selected, 0)
        ) as cases_best_possible
    from frames
    cross join methods
    left join captured
        on frames.bureau_id = captured.bureau_id and methods.method = captured.method
    left join day_totals on frames.bureau_id = day_totals.bureau_id
),

final as (
    select
        params.as_of_date,
        -- ids
        scored.bureau_id,
        scored.method,
        -- the forecast
        params.as_of_date - 1 as forecast_date,
        params.top_k,
        scored.cells_selected,
        scored.selected_cell_ids,
        scored.cells_selected > 0 as is_forecast_available,
        -- measures
        scored.cases_total,
        case when scored.cells_selected > 0 then scored.cases_captured end as cases_captured,
        case when scored.cells_selected > 0 then scored.cases_best_possible end
            as cases_best_possible,
        scored.n_cells as bureau_cells,
        scored.cells_selected * scored.cell_m ^ 2 / 1e6 as forecast_area_km2,
        scored.n_cells * scored.cell_m ^ 2 / 1e6 as bureau_area_km2,
        case when scored.cells_selected > 0 then scored.cells_selected / scored.n_cells end
            as area_share,
        case
            when scored.cells_selected > 0 and scored.cases_total > 0
                then scored.cases_captured / scored.cases_total
        end as hit_rate,
        case
            when scored.cells_selected > 0 and scored.cases_total > 0
                then
                    (scored.cases_captured / scored.cases_total)
                    / (scored.cells_selected / scored.n_cells)
        end as pai,
        case
            when scored.cells_selected > 0 and scored.cases_best_possible > 0
                then scored.cases_captured / scored.cases_best_possible
        end as pei
    from scored
    cross join params
)

select * from final
