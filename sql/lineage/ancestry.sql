-- One row per model and ancestor, over the walked edges (a DAG: see walk_edges.sql).
-- `distance` is the shortest path, `max_distance` the longest (merges give several paths).
create or replace temp table lin_ancestry as
with recursive

dag as (
    select
        child_id,
        parent_id,
    from lin_edges
    where is_walked
),

walk (model_id, ancestor_id, distance) as (
    select
        child_id,
        parent_id,
        1,
    from dag
    union
    select
        walk.model_id,
        dag.parent_id,
        walk.distance + 1,
    from walk
    inner join dag
        on dag.child_id = walk.ancestor_id
    -- cycles are broken above; the bound only stops a runaway walk should one slip through
    -- (cycle_edges_in_ancestry then reports it)
    where walk.distance < $max_depth
),

has_parent as (
    select distinct child_id as model_id, from dag
),

final as (
    select
        walk.model_id,
        walk.ancestor_id,
        min(walk.distance) as distance,
        max(walk.distance) as max_distance,
        has_parent.model_id is null as is_root,
    from walk
    left join has_parent
        on has_parent.model_id = walk.ancestor_id
    group by all
)

select *, from final
