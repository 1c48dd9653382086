-- The walked lineage edges of one model's family within `$depth` steps up and down: the model,
-- its ancestors and its descendants, with each end's license. One row per edge.
with

family as (
    select $model_id::varchar as model_id
    union
    select ancestry.ancestor_id,
    from lineage_ancestry as ancestry
    where ancestry.model_id = $model_id and ancestry.distance <= $depth
    union
    select ancestry.model_id,
    from lineage_ancestry as ancestry
    where ancestry.ancestor_id = $model_id and ancestry.distance <= $depth
),

final as (
    select
        edges.child_id,
        edges.parent_id,
        edges.relation,
    from lineage_edges as edges
    where
        edges.is_walked
        and edges.child_id in (select family.model_id, from family)
        and edges.parent_id in (select family.model_id, from family)
)

select *, from final
order by parent_id, child_id
