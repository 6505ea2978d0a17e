-- query: emerging
-- the commander view's emerging hotspots per community: one row per community with a hot-spot
-- pattern in mart_emerging_hotspots for $as_of_date and per pattern, with the community's cells
-- of that pattern and its place (community_rank: most emerging hot cells first, i.e. cells
-- with is_emerging_hot_spot; then most persistent ones; then the community id)
-- parameters: $as_of_date
-- used by: the commander view (reports/trends.py), emerging hotspots per community
with

hot as (
    select
        community_id,
        pattern,
        is_emerging_hot_spot
    from mart_emerging_hotspots
    where as_of_date = $as_of_date and pattern <> 'no_pattern' and spot_type = 'hot'
),

pattern_cells as (
    select
        community_id,
        pattern,
        count(*) as cells
    from hot
    group by all
),

community_cells as (
    select
        community_id,
        count(*) filter (where is_emerging_hot_spot) as emerging_cells,
        count(*) filter (where pattern = 'persistent') as persistent_cells
    from hot
    group by all
),

ranked as (
    select
        *,
        row_number() over (
            order by
                emerging_cells desc, persistent_cells desc, coalesce(community_id, '') asc
        ) as community_rank
    from community_cells
)

select
    ranked.community_rank,
    ranked.community_id,
    ranked.emerging_cells,
    pattern_cells.pattern,
    pattern_cells.cells
from ranked
inner join pattern_cells on ranked.community_id is not distinct from pattern_cells.community_id
order by ranked.community_rank, pattern_cells.pattern
