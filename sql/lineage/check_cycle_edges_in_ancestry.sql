-- Edges the ancestry must not follow (self-loops, and cycle edges whose parent is not older than
-- the child) that it followed anyway (they would appear as a distance-1 pair: edges are unique per
-- child and parent), plus models listed as their own ancestor (a cycle left in the walk), plus
-- walked edges missing from the ancestry (the walk goes down from the roots, so a cycle left
-- with no root above it would leave its edges out rather than list its models as their own).
with

edges as (
    select
        child_id,
        parent_id,
        parent_status,
        is_walked,
    from read_parquet($edges_path)
),

not_walkable as (
    select
        child_id,
        parent_id,
    from edges
    where parent_status in ('cycle', 'self_loop') and not is_walked
),

walked as (
    select
        child_id,
        parent_id,
    from edges
    where is_walked
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
),

walked_left_out as (
    select count(*) as n,
    from walked
    anti join ancestry
        on ancestry.model_id = walked.child_id
        and ancestry.ancestor_id = walked.parent_id
        and ancestry.distance = 1
)

select walked_anyway.n + own_ancestor.n + walked_left_out.n as n,
from walked_anyway, own_ancestor, walked_left_out
