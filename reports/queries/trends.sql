-- query: trends
-- one row per scope (bureau or station), dimension, category and time window of mart_trends
-- for $as_of_date; communities are left out (the pages do not show them)
-- parameters: $as_of_date
select
    scope,
    scope_id,
    dimension,
    category,
    time_window,
    current_count,
    previous_count,
    last_year_count,
    poisson_z,
    poisson_z_vs_last_year,
    is_previous_complete,
    is_last_year_complete,
    current_days,
    last_year_days
from mart_trends
where as_of_date = $as_of_date and scope in ('bureau', 'station')
order by scope, scope_id, dimension, category, time_window
