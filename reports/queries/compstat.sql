-- query: compstat
-- one row per scope (region, bureau or station), dimension, category and time window of
-- mart_trends for $as_of_date, with the mart's verdicts; communities are left out (the pages do
-- not show them)
-- parameters: $as_of_date
-- used by: section compstat (reports/sections/compstat.py); the headline's 'what changed'
--   lists its flagged changes
select
    scope,
    scope_id,
    dimension,
    category,
    time_window,
    current_count,
    previous_count,
    last_year_count,
    pct_vs_previous,
    pct_vs_last_year,
    poisson_z,
    poisson_z_vs_last_year,
    previous_flag,
    last_year_flag,
    is_previous_complete,
    is_last_year_complete
from mart_trends
where as_of_date = $as_of_date and scope in ('region', 'bureau', 'station')
order by scope, scope_id, dimension, category, time_window
