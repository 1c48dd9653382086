-- Edges the ancestry must not follow (self-loops, and cycle edges whose parent is not older than
-- the child) that it followed anyway (they would appear as a distance-1 pair: edges are unique per
-- child and parent), plus models listed as their own ancestor (a cycle left in the walk).
with

not_walkable as (
    select
        child_id,
        parent_id,
    from read_parquet($edges_path)
    where parent_status in ('cycle', 'self_loop') and not is_walked
),

ancestry as (
    select
        model_id,
        ancestor_id,
        distance,
    from read_parquet($ancestry_path)
),

walked_anyway as (
    select count(*) as n,
    from ancestry
    semi join not_walkable
        on not_walkable.child_id = ancestry.model_id
        and not_walkable.parent_id = ancestry.ancestor_id
    where ancestry.distance = 1
),

own_ancestor as (
    select count(*) as n,
    from ancestry
    where lower(model_id) = lower(ancestor_id)
)

select walked_anyway.n + own_ancestor.n as n,
from walked_anyway, own_ancestor
