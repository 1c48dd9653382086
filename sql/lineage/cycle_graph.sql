-- The resolved edges that could lie on a cycle: both ends have a parent and a child.
create or replace temp table lin_cycle_graph as
with

resolved as (
    select
        child_id,
        parent_id,
    from lin_edges
    where parent_status in ('resolved', 'renamed', 'case_fixed', 'url_fixed')
),

candidates as (
    select resolved.*,
    from resolved
    semi join resolved as has_child
        on has_child.parent_id = resolved.child_id
    semi join resolved as has_parent
        on has_parent.child_id = resolved.parent_id
)

select *, from candidates
