-- model: stg_population
-- grain: one row per community and snapshot date (as_of_date) delivered up to $loaded_through;
-- a snapshot re-sent later replaces the earlier one
-- key: community_id, snapshot_date
-- materialized: table
-- parameters: $loaded_through
with

source as (
    select * from accepted_population
    where _partition_date <= $loaded_through
),

final as (
    select
        -- ids
        community_id,
        as_of_date as snapshot_date,
        -- measures
        registered_residents,
        floating_residents,
        registered_residents + floating_residents as actual_residents,
        rental_households
    from source
    qualify row_number() over (
        partition by community_id, as_of_date
        order by _partition_date desc, _file_path desc, _line_number desc
    ) = 1
)

select * from final
