-- query: patrol_alignment
-- one row per scope (station, bureau, region) of mart_patrol_alignment_totals for $as_of_date
-- parameters: $as_of_date
-- used by: section patrol_alignment (reports/sections/patrol_alignment.py): the page's figures
select * exclude (as_of_date)
from mart_patrol_alignment_totals
where as_of_date = $as_of_date
order by scope, scope_id
