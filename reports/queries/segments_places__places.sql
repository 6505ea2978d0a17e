-- query: segments_places__places
-- the place types a page lists: the top $top_n of each scope by cases in the window, from
-- mart_hot_places for $as_of_date
-- parameters: $as_of_date, $top_n
-- used by: section segments_places (reports/sections/segments_places.py): the place types
select * exclude (as_of_date)
from mart_hot_places
where as_of_date = $as_of_date and cases > 0 and rank_by_count <= $top_n
order by scope, scope_id, place_type
