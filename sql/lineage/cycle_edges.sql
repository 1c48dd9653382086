-- What survives trimming are cycles and the paths between them; an edge child -> parent is on a
-- cycle when the parent reaches the child again. One row per cycle edge, with its component
-- (named by its smallest member id).
create or replace temp table lin_cycle_edges as
with recursive

reach (source_id, target_id) as (
    select
        child_id,
        parent_id,
    from lin_cycle_graph
    union
    select
        reach.source_id,
        graph.parent_id,
    from reach
    inner join lin_cycle_graph as graph
        on graph.child_id = reach.target_id
),

on_cycle as (
    select graph.*,
    from lin_cycle_graph as graph
    semi join reach
        on reach.source_id = graph.parent_id
        and reach.target_id = graph.child_id
),

component as (
    -- members of one strongly connected component reach each other
    select
        reach.source_id as model_id,
        least(reach.source_id, min(reach.target_id)) as component_id,
    from reach
    semi join reach as back
        on back.source_id = reach.target_id
        and back.target_id = reach.source_id
    group by reach.source_id
),

final as (
    select
        on_cycle.child_id,
        on_cycle.parent_id,
        component.component_id,
    from on_cycle
    inner join component
        on component.model_id = on_cycle.child_id
)

select *, from final
