-- model: stg_cases
-- grain: one row per case, its latest record (largest updated_at, then the latest delivery)
-- up to $loaded_through
-- key: case_id
-- materialized: table
-- parameters: none beyond stg_case_history's
with

history as (
    select * from stg_case_history
),

latest as (
    select * from history
    qualify row_number() over (
        partition by case_id
        order by updated_at desc, delivered_date desc, file_path desc, line_number desc
    ) = 1
),

final as (
    select
        * exclude (file_path, line_number),
        -- derived calendar fields, by reported time in Asia/Shanghai
        cast(reported_at as date) as reported_date,
        isodow(reported_at) as reported_weekday,
        hour(reported_at) as reported_hour
    from latest
)

select * from final
