-- Every descendant of one base model with its license, in the latest release: one row per
-- descendant. The model is the bound parameter `$base_model`:
-- `hub-census query --param base_model=org/name "$(cat sql/examples/descendants_of_model.sql)"`.
with

params as (
    select $base_model::varchar as base_model,
),

descendants as (
    select
        ancestry.model_id,
        ancestry.distance,
    from lineage_ancestry as ancestry
    inner join params
        on ancestry.ancestor_id = params.base_model
),

final as (
    select
        descendants.model_id,
        descendants.distance,
        models.base_relation,
        models.license_id,
        models.license_category,
        models.effective_license_category,
    from descendants
    left join models
        on models.model_id = descendants.model_id
)

select *, from final
order by distance, model_id
