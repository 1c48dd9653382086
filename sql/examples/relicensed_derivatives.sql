-- Derivatives published under a different license than their direct parent, in the latest
-- release: one row per resolved lineage edge whose two ends declare different licenses.
with

edges as (
    select * from lineage_edges
    where parent_id is not null
),

models as (
    select model_id, license_id, license_category from models
),

joined as (
    select
        edges.child_id,
        edges.parent_id,
        edges.relation,
        parents.license_id as parent_license_id,
        children.license_id as child_license_id,
        parents.license_category as parent_license_category,
        children.license_category as child_license_category,
        edges.license_check,
    from edges
    inner join models as children
        on children.model_id = edges.child_id
    inner join models as parents
        on parents.model_id = edges.parent_id
),

final as (
    select * from joined
    where parent_license_id is not null
        and child_license_id is not null
        and parent_license_id <> child_license_id
)

select * from final
order by parent_id, child_id
