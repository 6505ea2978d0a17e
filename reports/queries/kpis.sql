-- query: kpis
-- the four KPI cards of every scope (region, bureau, station) of mart_kpis for $as_of_date
-- parameters: $as_of_date
-- used by: section kpis (reports/sections/kpis.py); the leagues' KPI columns and the commander
--   view's league
select * exclude (as_of_date)
from mart_kpis
where as_of_date = $as_of_date
order by scope, scope_id
