-- Which edges the ancestry walk follows: every resolved edge on no cycle, and of the edges on a
-- cycle only those whose parent is older than the child. A real parent always predates its child.
-- Age is (created_at, hub_id): repos older than the Hub's creation dates share one placeholder
-- created_at, and an ObjectId `_id` starts with its creation second and then grows with insertion.
-- Age strictly decreases along the walked edges, so no cycle survives: at least one edge of every
-- cycle points to a parent that is not older.
create or replace temp table lin_edges as
with

cycle_ages as (
    select
        cycle_edges.child_id,
        cycle_edges.parent_id,
        coalesce(
            parents.created_at < children.created_at
            or (
                parents.created_at = children.created_at
                and parents.hub_id < children.hub_id
            ),
            false
        ) as is_parent_older,
    from lin_cycle_edges as cycle_edges
    inner join lin_models as children
        on children.model_id = cycle_edges.child_id
    inner join lin_models as parents
        on parents.model_id = cycle_edges.parent_id
),

walked as (
    select
        edges.*,
        edges.parent_status in ('resolved', 'renamed', 'case_fixed', 'url_fixed')
        or (edges.parent_status = 'cycle' and coalesce(cycle_ages.is_parent_older, false))
            as is_walked,
    from lin_edges as edges
    left join cycle_ages
        on cycle_ages.child_id = edges.child_id
        and cycle_ages.parent_id = edges.parent_id
)

select *, from walked
