-- One row per cycle found (a strongly connected component of resolved edges), with its members.
select
    component_id,
    list(distinct child_id order by child_id) as members,
    count(*) as n_edges,
from lin_cycle_edges
group by component_id
order by component_id
