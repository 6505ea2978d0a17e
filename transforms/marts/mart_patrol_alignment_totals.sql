-- model: mart_patrol_alignment_totals
-- grain: one row per as_of_date, scope ('station', 'bureau' or 'region') and scope_id; the
-- region (scope_id 'all') is every station of the reference
-- key: as_of_date, scope, scope_id
-- materialized: incremental
-- parameters: $as_of_date; the alignment's own settings act in mart_patrol_alignment
--
-- The patrol-alignment figures a briefing page shows, at every scope: a station's, and a
-- bureau's and the region's pooled from their stations' mart_patrol_alignment rows. Counts and
-- minutes are summed (hot_cells, hot_cell_hours, hot_cell_hours_dosed, hot_cells_dosed,
-- unvisited_hot_cells, patrol_minutes, minutes_in_hot_cells, minutes_outside_hot_cells,
-- visible_patrol_minutes); the shares are recomputed from the sums, never averaged:
-- koper_share = hot_cell_hours_dosed / hot_cell_hours and hot_minutes_share =
-- minutes_in_hot_cells / (minutes_in_hot_cells + minutes_outside_hot_cells), null when the
-- denominator is 0.
with

params as (
    select cast($as_of_date as date) as as_of_date
),

stations as (
    select mart_patrol_alignment.*
    from mart_patrol_alignment
    inner join params on mart_patrol_alignment.as_of_date = params.as_of_date
),

scoped as (
    select
        'station' as scope,
        station_id as scope_id,
        *
    from stations
    union all
    select
        'bureau' as scope,
        bureau_id as scope_id,
        *
    from stations
    where bureau_id is not null
    union all
    select
        'region' as scope,
        'all' as scope_id,
        *
    from stations
),

pooled as (
    select
        scope,
        scope_id,
        count(*) as stations,
        cast(sum(hot_cells) as bigint) as hot_cells,
        cast(sum(hot_cell_hours) as bigint) as hot_cell_hours,
        cast(sum(hot_cell_hours_dosed) as bigint) as hot_cell_hours_dosed,
        cast(sum(hot_cells_dosed) as bigint) as hot_cells_dosed,
        cast(sum(unvisited_hot_cells) as bigint) as unvisited_hot_cells,
        cast(exact_sum(patrol_minutes) as double) as patrol_minutes,
        cast(exact_sum(minutes_in_hot_cells) as double) as minutes_in_hot_cells,
        cast(exact_sum(minutes_outside_hot_cells) as double) as minutes_outside_hot_cells,
        cast(exact_sum(visible_patrol_minutes) as double) as visible_patrol_minutes
    from scoped
    group by scope, scope_id
),

final as (
    select
        params.as_of_date,
        pooled.*,
        cast(pooled.hot_cell_hours_dosed as double)
        / nullif(pooled.hot_cell_hours, 0) as koper_share,
        pooled.minutes_in_hot_cells
        / nullif(pooled.minutes_in_hot_cells + pooled.minutes_outside_hot_cells, 0)
            as hot_minutes_share
    from pooled
    cross join params
)

select * from final
