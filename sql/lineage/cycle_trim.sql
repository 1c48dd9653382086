-- One trimming round: an edge whose child has no children left, or whose parent has no parents
-- left, is on no cycle. Repeated until nothing is deleted.
delete from lin_cycle_graph as graph
where not exists (
    select 1, from lin_cycle_graph as below where below.parent_id = graph.child_id
)
or not exists (
    select 1, from lin_cycle_graph as above where above.child_id = graph.parent_id
)
