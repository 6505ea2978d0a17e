-- model: int_population_in_force
-- grain: one row per community with a population snapshot on or before $as_of_date: its
-- latest such snapshot (the population "in force" for rates on that day)
-- key: community_id
-- materialized: table
-- parameters: $as_of_date
with

params as (
    select cast($as_of_date as date) as as_of_date
),

population as (
    select * from stg_population
),

final as (
    select
        -- ids
        population.community_id,
        population.snapshot_date,
        -- measures
        population.actual_residents
    from population
    cross join params
    where population.snapshot_date <= params.as_of_date
    qualify row_number() over (
        partition by population.community_id order by population.snapshot_date desc
    ) = 1
)

select * from final
