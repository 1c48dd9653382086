update lin_edges as edges
set parent_status = 'cycle'
from lin_cycle_edges as cycle_edges
where cycle_edges.child_id = edges.child_id
    and cycle_edges.parent_id = edges.parent_id
