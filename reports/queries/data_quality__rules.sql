-- query: data_quality__rules
-- one row per feed and rule with records quarantined from the partitions of the $window_days
-- days ending $as_of_date, most records first; for the two type rules, one example of the
-- values that failed (the quarantine's detail, which names the values that did not parse or
-- were not finite, personal columns masked; other rules keep no value, so null)
-- parameters: $as_of_date, $window_days (setting hotspot_window_days, default 28)
-- used by: section data_quality (reports/sections/data_quality.py)
select
    feed,
    rule,
    count(*) as quarantined_rows,
    min(detail) filter (
        where rule in (
            'expect_column_values_to_be_null(_parse_errors)',
            'expect_column_values_to_be_null(_non_finite)'
        )
    ) as example
from quarantine
where
    partition_date
    between cast($as_of_date as date) - cast($window_days as integer) + 1
    and $as_of_date
group by feed, rule
order by quarantined_rows desc, feed asc, rule asc
