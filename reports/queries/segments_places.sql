-- query: segments_places
-- the road segments a page lists: the top $top_n of each bureau and of each station by cases
-- in the window, from mart_hot_road_segments for $as_of_date
-- parameters: $as_of_date, $top_n
-- used by: section segments_places (reports/sections/segments_places.py): the road segments
select * exclude (as_of_date)
from mart_hot_road_segments
where
    as_of_date = $as_of_date
    and cases > 0
    and (rank_by_count <= $top_n or station_rank_by_count <= $top_n)
order by bureau_id, station_id, road_segment_id
