-- query: data_quality__rules
-- one row per feed and rule with records quarantined from the partitions of the $window_days
-- days ending $as_of_date, most records first
-- parameters: $as_of_date, $window_days (setting hotspot_window_days, default 28)
-- used by: section data_quality (reports/sections/data_quality.py)
select
    feed,
    rule,
    count(*) as quarantined_rows
from quarantine
where
    partition_date
    between cast($as_of_date as date) - cast($window_days as integer) + 1
    and $as_of_date
group by feed, rule
order by quarantined_rows desc, feed asc, rule asc
