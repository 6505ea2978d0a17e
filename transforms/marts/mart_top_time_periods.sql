-- model: mart_top_time_periods
-- grain: one row per as_of_date, scope ('station', 'bureau' or 'region'), scope_id and period_rank
-- (1 .. $top_periods); only periods with a case weight above 0 are listed, so a quiet scope has
-- fewer rows, and a scope without cases none
-- key: as_of_date, scope, scope_id, period_rank
-- materialized: incremental
-- parameters: $as_of_date, $top_periods (setting top_time_periods, default 5),
-- $block_hours (setting time_block_hours, default 3)
--
-- Time periods (时段) are fixed clock blocks of $block_hours hours on each weekday, starting at
-- midnight (00-03, 03-06, ... 21-24 at the default), so periods never overlap and their shares
-- add up to 1; a block length that does not divide 24 leaves a shorter last block. A period's
-- weight is the sum of the aoristic weights of mart_time_profile's hours in it (cases reported in
-- the trailing window, spread over their occurrence windows), its share the part of the scope's
-- total weight. Ties are ranked by weekday, then block start.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($top_periods as integer) as top_periods,
        cast($block_hours as integer) as block_hours
),

profile as (
    select
        mart_time_profile.scope,
        mart_time_profile.scope_id,
        mart_time_profile.weekday,
        mart_time_profile.hour,
        mart_time_profile.weight
    from mart_time_profile
    inner join params on mart_time_profile.as_of_date = params.as_of_date
),

blocks as (
    select
        profile.scope,
        profile.scope_id,
        profile.weekday,
        profile.hour // params.block_hours * params.block_hours as block_start_hour,
        exact_sum(profile.weight) as weight
    from profile
    cross join params
    group by all
),

ranked as (
    select
        *,
        exact_sum(weight) over (partition by scope, scope_id) as scope_weight,
        row_number() over (
            partition by scope, scope_id order by weight desc, weekday asc, block_start_hour asc
        ) as period_rank
    from blocks
),

final as (
    select
        params.as_of_date,
        -- ids
        ranked.scope,
        ranked.scope_id,
        cast(ranked.period_rank as integer) as period_rank,
        -- the period: ISO weekday (1 = Monday ... 7 = Sunday) and clock hours [start, end)
        ranked.weekday,
        cast(ranked.block_start_hour as integer) as block_start_hour,
        cast(least(ranked.block_start_hour + params.block_hours, 24) as integer)
            as block_end_hour,
        -- measures
        ranked.weight,
        ranked.weight / ranked.scope_weight as share,
        ranked.scope_weight
    from ranked
    cross join params
    where ranked.period_rank <= params.top_periods and ranked.weight > 0
)

select * from final
