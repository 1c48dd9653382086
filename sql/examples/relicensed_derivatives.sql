-- Derivatives that declare a more permissive license than their direct parent, in the latest
-- release: one row per resolved lineage edge whose `license_check` is `relicensed_permissive`.
-- A parent without any license (`parent_unlicensed`) grants nothing to relicense and is left
-- out, as are unknown or undecidable licenses; `child_effective_license_category` shows the
-- terms the child still inherits.
with

edges as (
    select *, from lineage_edges
    where parent_id is not null
        and license_check = 'relicensed_permissive'
),

models as (
    select model_id, license_id, license_category, effective_license_category, from models
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
        children.effective_license_category as child_effective_license_category,
        edges.license_check,
    from edges
    inner join models as children
        on children.model_id = edges.child_id
    inner join models as parents
        on parents.model_id = edges.parent_id
)

select *, from joined
order by parent_id, child_id
