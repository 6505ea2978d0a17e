-- model: mart_station_top_hours
-- grain: one row per as_of_date, station and clock hour that lies in one of the station's top
-- time periods (mart_top_time_periods) on the weekday of $as_of_date
-- key: as_of_date, station_id, hour
-- materialized: incremental
-- parameters: $as_of_date; the periods' own settings act in mart_top_time_periods
--
-- The hours the patrol-alignment marts judge a station's patrols by: each top period of the
-- station on today's weekday, unrolled into its clock hours (0-23; block_start_hour up to but
-- not including block_end_hour), each hour once. A station whose top periods fall on other
-- weekdays has no row today. mart_patrol_alignment and mart_patrol_team_alignment read it.
with

params as (
    select cast($as_of_date as date) as as_of_date
),

top_periods as (
    select mart_top_time_periods.*
    from mart_top_time_periods
    inner join params on mart_top_time_periods.as_of_date = params.as_of_date
    where mart_top_time_periods.scope = 'station'
),

final as (
    select distinct
        params.as_of_date,
        top_periods.scope_id as station_id,
        cast(unnest(range(top_periods.block_start_hour, top_periods.block_end_hour)) as integer)
            as hour
    from top_periods
    cross join params
    where top_periods.weekday = isodow(params.as_of_date)
)

select * from final
