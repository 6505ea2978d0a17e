-- model: mart_patrol_plan
-- grain: one row per as_of_date, station and plan entry (a grid cell and a time window of the
-- plan_date = $as_of_date + 1); plan_rank 1 = do first
-- key: as_of_date, station_id, cell_id, block_start_hour
-- materialized: incremental
-- parameters: $as_of_date, $window_days (setting hotspot_window_days, default 28),
-- $block_hours (setting time_block_hours, default 3),
-- $visit_minutes (setting patrol_visit_minutes, default 15), $capacity_days (setting
-- plan_capacity_days, default 7), $directed_share (setting plan_directed_share, default 0.3),
-- $plan_max_entries (setting plan_max_entries, default 20), $plan_max_visit_minutes (setting
-- plan_max_visit_minutes, default 60), $alert_bonus_z (setting plan_alert_bonus_z, default 2)
--
-- Next-day directed patrol plan of each station, drawn from the day's hotspots, the station's
-- time profile and the near-repeat alerts still valid on plan_date.
-- Where: the station's own cells (int_grid_cells jurisdiction) with gi_z > 0 in
-- mart_hotspot_cells of $as_of_date, and every cell whose centre is within radius_m (plus
-- half a cell diagonal, so cells the circle touches count) of an alert zone of the station in
-- mart_near_repeat_alerts of $as_of_date still valid on plan_date (valid_until, the last day a
-- zone holds, on or after plan_date).
-- cell_score = max(gi_z, 0) + $alert_bonus_z when the cell is in an alert zone.
-- When: the clock blocks of $block_hours hours (as in mart_top_time_periods) of plan_date's
-- weekday. block_weight = half the station's aoristic case weight in that block on that weekday
-- (mart_time_profile) plus half its average over the seven weekdays, i.e. the weekday's own
-- count shrunk halfway to the average day, so a block is never judged on a handful of cases.
-- Blocks in mart_top_time_periods for that weekday are marked (period_rank).
-- Pair score = cell_score x block_weight; only the station's $plan_max_entries best cells are
-- paired with the blocks (no pair of a lower cell can rank above them).
-- Capacity: the station's shift logs (stg_patrol_shifts) that started in the $capacity_days
-- days ending $as_of_date: officer-hours per day (over the days the feed has shifts) x
-- $directed_share = directed officer-hours; divided by the mean officers per shift (weighted by
-- hours) that is budget_team_minutes, the time one team can give to the plan. A block can hold
-- at most the team-minutes the station had on duty in it per day (duty_team_minutes).
-- Minutes: each pair's share of the budget in proportion to its score, rounded to whole visits
-- of $visit_minutes (Koper: about 15 minutes per visit), at least one visit and at most
-- $plan_max_visit_minutes. Pairs are taken best first while their block still has duty time and
-- the budget is not spent, up to $plan_max_entries entries.
-- reason_codes: why the entry was chosen, as codes (hot_class_N or positive_z; top_period_N or
-- profile_block; near_repeat_alert), ';'-separated, beside the structured columns they refer
-- to; the pages and the plan CSV render them in words from reports/messages.yaml, in either
-- language.
with

params as (
    select
        cast($as_of_date as date) as as_of_date,
        cast($as_of_date as date) + 1 as plan_date,
        isodow(cast($as_of_date as date) + 1) as plan_weekday,
        cast($block_hours as integer) as block_hours,
        cast($visit_minutes as double) as visit_minutes,
        cast($capacity_days as integer) as capacity_days,
        cast($directed_share as double) as directed_share,
        cast($plan_max_entries as integer) as max_entries,
        cast($plan_max_visit_minutes as double) as max_visit_minutes,
        cast($alert_bonus_z as double) as alert_bonus_z,
        cast($window_days as integer) as window_days
),

stations as (
    select
        station_id,
        bureau_id
    from stg_stations
),

communities as (
    select
        community_id,
        community_name
    from stg_communities
),

road_segments as (
    select
        road_segment_id,
        road_name,
        segment_name
    from stg_road_segments
),

frames as (
    select
        bureau_id,
        cell_m,
        origin_lon,
        origin_lat,
        projection_lat
    from int_bureau_frames
),

grid as (
    select
        bureau_id,
        cell_id,
        cell_x,
        cell_y,
        center_x_m,
        center_y_m
    from int_grid_cells
),

window_cases as (
    select
        int_case_cells.case_id,
        int_case_cells.cell_id
    from int_case_cells
    cross join params
    where
        int_case_cells.reported_date
        between params.as_of_date - params.window_days + 1 and params.as_of_date
),

case_segments as (
    select
        case_id,
        road_segment_id
    from stg_cases
    where road_segment_id is not null
),

day_cells as (
    select mart_hotspot_cells.*
    from mart_hotspot_cells
    inner join params on mart_hotspot_cells.as_of_date = params.as_of_date
),

profile as (
    select mart_time_profile.*
    from mart_time_profile
    inner join params on mart_time_profile.as_of_date = params.as_of_date
    where mart_time_profile.scope = 'station'
),

top_periods as (
    select mart_top_time_periods.*
    from mart_top_time_periods
    inner join params
        on
            mart_top_time_periods.as_of_date = params.as_of_date
            and mart_top_time_periods.weekday = params.plan_weekday
    where mart_top_time_periods.scope = 'station'
),

-- the day's alert zones that are still valid on plan_date
alerts as (
    select
        mart_near_repeat_alerts.alert_id,
        mart_near_repeat_alerts.station_id,
        mart_near_repeat_alerts.category,
        mart_near_repeat_alerts.center_lon,
        mart_near_repeat_alerts.center_lat,
        mart_near_repeat_alerts.radius_m,
        cast(mart_near_repeat_alerts.valid_until as date) as valid_until
    from mart_near_repeat_alerts
    inner join params on mart_near_repeat_alerts.as_of_date = params.as_of_date
    where cast(mart_near_repeat_alerts.valid_until as date) >= params.plan_date
),

shifts as (
    select
        stg_patrol_shifts.station_id,
        cast(stg_patrol_shifts.started_at as date) as shift_date,
        stg_patrol_shifts.started_at,
        stg_patrol_shifts.ended_at,
        stg_patrol_shifts.officer_count,
        stg_patrol_shifts.shift_hours,
        stg_patrol_shifts.officer_hours
    from stg_patrol_shifts
    cross join params
    where
        cast(stg_patrol_shifts.started_at as date)
        between params.as_of_date - params.capacity_days + 1 and params.as_of_date
),

-- capacity ---------------------------------------------------------------------------------
shift_days as (
    select count(distinct shift_date) as days_with_shifts from shifts
),

capacity as (
    select
        shifts.station_id,
        exact_sum(shifts.officer_hours) / any_value(shift_days.days_with_shifts)
            as daily_officer_hours,
        exact_sum(shifts.officer_count * shifts.shift_hours)
        / nullif(exact_sum(shifts.shift_hours), 0.0) as officers_per_shift,
        any_value(shift_days.days_with_shifts) as capacity_days_observed
    from shifts
    cross join shift_days
    group by shifts.station_id
),

budgets as (
    select
        capacity.*,
        capacity.daily_officer_hours * params.directed_share as directed_officer_hours,
        capacity.daily_officer_hours * params.directed_share * 60.0
        / nullif(capacity.officers_per_shift, 0.0) as budget_team_minutes
    from capacity
    cross join params
),

-- team-minutes on duty per clock block and day, from the shifts' overlap with each block
blocks as (
    select cast(unnest(range(0, 24, params.block_hours)) as integer) as block_start_hour
    from params
),

shift_blocks as (
    select
        shifts.station_id,
        blocks.block_start_hour,
        greatest(
            epoch(
                least(
                    shifts.ended_at,
                    cast(shifts.shift_date as timestamp)
                    + to_hours(least(blocks.block_start_hour + params.block_hours, 24))
                )
                - greatest(
                    shifts.started_at,
                    cast(shifts.shift_date as timestamp) + to_hours(blocks.block_start_hour)
                )
            ),
            0.0
        ) / 60.0 as duty_minutes
    from shifts
    cross join blocks
    cross join params
),

duty as (
    select
        shift_blocks.station_id,
        shift_blocks.block_start_hour,
        exact_sum(shift_blocks.duty_minutes) / any_value(shift_days.days_with_shifts)
            as duty_team_minutes
    from shift_blocks
    cross join shift_days
    group by all
),

-- when -------------------------------------------------------------------------------------
block_weights as (
    select
        profile.scope_id as station_id,
        profile.hour // params.block_hours * params.block_hours as block_start_hour,
        exact_sum(case when profile.weekday = params.plan_weekday then profile.weight end)
            as weekday_weight,
        exact_sum(profile.weight) / 7.0 as average_day_weight
    from profile
    cross join params
    group by all
),

windows as (
    select
        block_weights.station_id,
        block_weights.block_start_hour,
        cast(least(block_weights.block_start_hour + params.block_hours, 24) as integer)
            as block_end_hour,
        0.5 * coalesce(block_weights.weekday_weight, 0.0)
        + 0.5 * block_weights.average_day_weight as block_weight,
        top_periods.period_rank,
        top_periods.share as period_share
    from block_weights
    cross join params
    left join top_periods
        on
            block_weights.station_id = top_periods.scope_id
            and block_weights.block_start_hour = top_periods.block_start_hour
    where
        0.5 * coalesce(block_weights.weekday_weight, 0.0)
        + 0.5 * block_weights.average_day_weight > 0
),

-- where ------------------------------------------------------------------------------------
alert_points as (
    select
        alerts.*,
        frames.bureau_id,
        frames.cell_m,
        local_x_m(alerts.center_lon, frames.origin_lon, frames.projection_lat) as x_m,
        local_y_m(alerts.center_lat, frames.origin_lat) as y_m
    from alerts
    inner join stations on alerts.station_id = stations.station_id
    inner join frames on stations.bureau_id = frames.bureau_id
),

alert_cells as (
    select
        alert_points.station_id,
        grid.cell_id,
        string_agg(distinct alert_points.alert_id, ',' order by alert_points.alert_id)
            as alert_ids,
        string_agg(distinct alert_points.category, ',' order by alert_points.category)
            as alert_categories,
        max(alert_points.valid_until) as alert_valid_until
    from alert_points
    inner join grid
        on
            alert_points.bureau_id = grid.bureau_id
            and grid.cell_x
            between floor((alert_points.x_m - alert_points.radius_m) / alert_points.cell_m)
            and floor((alert_points.x_m + alert_points.radius_m) / alert_points.cell_m)
            and grid.cell_y
            between floor((alert_points.y_m - alert_points.radius_m) / alert_points.cell_m)
            and floor((alert_points.y_m + alert_points.radius_m) / alert_points.cell_m)
    where
        sqrt((grid.center_x_m - alert_points.x_m) ^ 2 + (grid.center_y_m - alert_points.y_m) ^ 2)
        <= alert_points.radius_m + alert_points.cell_m * sqrt(2.0) / 2.0
    group by all
),

candidate_keys as (
    select
        station_id,
        cell_id
    from day_cells
    where gi_z > 0 and station_id is not null
    union
    select
        station_id,
        cell_id
    from alert_cells
),

candidate_cells as (
    select
        candidate_keys.station_id,
        candidate_keys.cell_id,
        day_cells.community_id,
        day_cells.center_lon,
        day_cells.center_lat,
        day_cells.hot_class,
        day_cells.gi_z,
        day_cells.cases,
        alert_cells.alert_ids,
        alert_cells.alert_categories,
        alert_cells.alert_valid_until,
        greatest(coalesce(day_cells.gi_z, 0.0), 0.0)
        + case when alert_cells.cell_id is not null then params.alert_bonus_z else 0.0 end
            as cell_score
    from candidate_keys
    cross join params
    left join day_cells on candidate_keys.cell_id = day_cells.cell_id
    left join alert_cells
        on
            candidate_keys.station_id = alert_cells.station_id
            and candidate_keys.cell_id = alert_cells.cell_id
    qualify row_number() over (
        partition by candidate_keys.station_id
        order by
            greatest(coalesce(day_cells.gi_z, 0.0), 0.0)
            + case when alert_cells.cell_id is not null then params.alert_bonus_z else 0.0 end desc,
            candidate_keys.cell_id asc
    ) <= params.max_entries
),

-- the road segment with the most cases of the window in each candidate cell
cell_segments as (
    select
        window_cases.cell_id,
        case_segments.road_segment_id,
        count(*) as segment_cases
    from window_cases
    inner join case_segments on window_cases.case_id = case_segments.case_id
    group by window_cases.cell_id, case_segments.road_segment_id
    qualify row_number() over (
        partition by window_cases.cell_id
        order by count(*) desc, case_segments.road_segment_id asc
    ) = 1
),

-- pairs and minutes ------------------------------------------------------------------------
pairs as (
    select
        candidate_cells.*,
        windows.block_start_hour,
        windows.block_end_hour,
        windows.block_weight,
        windows.period_rank,
        windows.period_share,
        candidate_cells.cell_score * windows.block_weight as score,
        budgets.budget_team_minutes,
        coalesce(duty.duty_team_minutes, 0.0) as duty_team_minutes
    from candidate_cells
    inner join windows on candidate_cells.station_id = windows.station_id
    inner join budgets on candidate_cells.station_id = budgets.station_id
    left join duty
        on
            candidate_cells.station_id = duty.station_id
            and windows.block_start_hour = duty.block_start_hour
    where candidate_cells.cell_score * windows.block_weight > 0
),

-- the best pairs in blocks when the station has teams on duty
chosen as (
    select
        pairs.*,
        row_number() over (
            partition by pairs.station_id
            order by pairs.score desc, pairs.cell_id asc, pairs.block_start_hour asc
        ) as score_rank
    from pairs
    cross join params
    where pairs.duty_team_minutes >= params.visit_minutes
    qualify row_number() over (
        partition by pairs.station_id
        order by pairs.score desc, pairs.cell_id asc, pairs.block_start_hour asc
    ) <= params.max_entries
),

sized as (
    select
        chosen.*,
        least(
            params.max_visit_minutes,
            greatest(
                params.visit_minutes,
                round(
                    chosen.budget_team_minutes * chosen.score
                    / exact_sum(chosen.score) over (partition by chosen.station_id)
                    / params.visit_minutes
                ) * params.visit_minutes
            )
        ) as recommended_minutes
    from chosen
    cross join params
),

-- a block holds at most the team-minutes on duty in it, the plan at most the budget
fitted as (
    select
        *,
        exact_sum(recommended_minutes) over (
            partition by station_id, block_start_hour
            order by score_rank
            rows between unbounded preceding and current row
        ) as block_running_minutes,
        exact_sum(recommended_minutes) over (
            partition by station_id
            order by score_rank
            rows between unbounded preceding and current row
        ) as running_minutes
    from sized
),

planned as (
    select
        *,
        row_number() over (partition by station_id order by score_rank) as plan_rank
    from fitted
    where
        block_running_minutes <= duty_team_minutes
        and running_minutes <= budget_team_minutes
),

final as (
    select
        params.as_of_date,
        params.plan_date,
        -- ids
        planned.station_id,
        cast(planned.plan_rank as integer) as plan_rank,
        stations.bureau_id,
        planned.cell_id,
        planned.community_id,
        communities.community_name,
        cell_segments.road_segment_id,
        road_segments.road_name,
        road_segments.segment_name,
        -- place (cell centre, WGS-84)
        planned.center_lon,
        planned.center_lat,
        -- time window on plan_date, clock hours [start, end)
        params.plan_weekday as weekday,
        planned.block_start_hour,
        planned.block_end_hour,
        -- recommendation
        planned.recommended_minutes,
        cast(round(planned.recommended_minutes / params.visit_minutes) as integer)
            as recommended_visits,
        -- why
        planned.score,
        planned.cell_score,
        planned.block_weight,
        planned.hot_class,
        planned.gi_z,
        planned.cases,
        planned.period_rank,
        planned.period_share,
        planned.alert_ids,
        planned.alert_categories,
        planned.alert_valid_until,
        concat_ws(
            ';',
            case
                when planned.hot_class > 0 then 'hot_class_' || planned.hot_class
                when planned.gi_z > 0 then 'positive_z'
            end,
            case
                when planned.period_rank is not null then 'top_period_' || planned.period_rank
                else 'profile_block'
            end,
            case when planned.alert_ids is not null then 'near_repeat_alert' end
        ) as reason_codes,
        -- capacity behind the plan
        budgets.daily_officer_hours,
        budgets.officers_per_shift,
        budgets.directed_officer_hours,
        planned.budget_team_minutes,
        planned.duty_team_minutes,
        budgets.capacity_days_observed
    from planned
    cross join params
    inner join stations on planned.station_id = stations.station_id
    inner join budgets on planned.station_id = budgets.station_id
    left join communities on planned.community_id = communities.community_id
    left join cell_segments on planned.cell_id = cell_segments.cell_id
    left join road_segments on cell_segments.road_segment_id = road_segments.road_segment_id
)

select * from final
