-- One row per model and ancestor, over the walked edges (a DAG: see walk_edges.sql).
-- `distance` is the shortest path, `max_distance` the longest (merges give several paths).
-- The walk goes level by level, a model's level being its longest path up to a root: a model's
-- ancestry is built once, from its parents' (all on lower levels, so complete). It holds one row
-- per (model, ancestor), however many paths merges make between them: a walk along paths keeps
-- one row per path length, which on merge-dense days runs to tens of millions of rows.
create or replace temp table lin_ancestry as
with recursive

dag as (
    select
        child_id,
        parent_id,
    from lin_edges
    where is_walked
),

has_parent as (
    select distinct child_id as model_id, from dag
),

roots as (
    select distinct dag.parent_id as model_id,
    from dag
    anti join has_parent
        on has_parent.model_id = dag.parent_id
),

-- each round reaches the children of the last round's models, one level lower; the key keeps
-- a model's last (so longest) level. Cycles are broken above; the bound only stops a runaway
-- walk should one slip through (cycle_edges_in_ancestry then reports it).
levels (model_id, level) using key (model_id) as (
    select
        model_id,
        0,
    from roots
    union
    select
        dag.child_id,
        any_value(levels.level) + 1,
    from levels
    inner join dag
        on dag.parent_id = levels.model_id
    where levels.level < $max_depth
    group by dag.child_id
),

leveled_edges as (
    select
        dag.child_id,
        dag.parent_id,
        levels.level,
    from dag
    inner join levels
        on levels.model_id = dag.child_id
),

-- each round builds the ancestry of the models one level below the last round's: the parent at
-- distance 1 and, one step further, every ancestor of the parent (`recurring.walk`: all rows
-- built so far)
walk (model_id, ancestor_id, distance, max_distance, level)
using key (model_id, ancestor_id) as (
    select
        child_id,
        parent_id,
        1,
        1,
        level,
    from leveled_edges
    where level = 1
    union
    select
        reach.child_id,
        reach.ancestor_id,
        min(reach.distance) + 1,
        max(reach.max_distance) + 1,
        any_value(reach.level),
    from (
        select
            leveled_edges.child_id,
            leveled_edges.parent_id as ancestor_id,
            0 as distance,
            0 as max_distance,
            leveled_edges.level,
        from leveled_edges
        where leveled_edges.level = (select any_value(walk.level) + 1 from walk)
        union all
        select
            leveled_edges.child_id,
            reached.ancestor_id,
            reached.distance,
            reached.max_distance,
            leveled_edges.level,
        from leveled_edges
        inner join recurring.walk as reached
            on reached.model_id = leveled_edges.parent_id
        where leveled_edges.level = (select any_value(walk.level) + 1 from walk)
    ) as reach
    group by reach.child_id, reach.ancestor_id
),

final as (
    select
        walk.model_id,
        walk.ancestor_id,
        walk.distance,
        walk.max_distance,
        has_parent.model_id is null as is_root,
    from walk
    left join has_parent
        on has_parent.model_id = walk.ancestor_id
)

select *, from final
