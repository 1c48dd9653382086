-- The most referenced parents that resolve to no model of the snapshot.
select
    lower(parent_id) as parent_key,
    min(parent_id) as parent_id,
    count(distinct child_id) as n_children,
from lin_edges_out
where parent_status = 'missing'
group by all
order by n_children desc, parent_key
limit $ledger_top_n
