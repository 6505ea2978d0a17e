-- query: communities
-- one row per community or village of dim_communities
-- used by: every section that names or draws communities (read once, shared)
select
    community_id,
    station_id,
    bureau_id,
    community_name,
    area_type,
    lon,
    lat
from dim_communities
order by community_id
