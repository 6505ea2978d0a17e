-- query: alerts
-- one row per near-repeat alert zone of mart_near_repeat_alerts for $as_of_date; only each
-- source case's strongest zone (zone_rank 1) is drawn and listed
-- parameters: $as_of_date
-- used by: section alerts (reports/sections/alerts.py); the zones drawn on the hotspot map
select * exclude (as_of_date)
from mart_near_repeat_alerts
where as_of_date = $as_of_date and zone_rank = 1
order by bureau_id, alert_id
