-- query: forecast
-- one row per bureau and forecast method of mart_forecast_accuracy for $as_of_date (the
-- selected cell ids are left out: the page shows the scores)
-- parameters: $as_of_date
-- used by: section forecast (reports/sections/forecast.py)
select * exclude (as_of_date, selected_cell_ids)
from mart_forecast_accuracy
where as_of_date = $as_of_date
order by bureau_id, method
