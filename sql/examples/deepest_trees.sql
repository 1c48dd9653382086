-- The deepest lineage trees in the latest release: one row per family, deepest first, with one
-- model at the bottom of the tree (the first by id when several are equally deep).
with

models as (
    select model_id, family, lineage_depth, from models
    where family is not null
),

depths as (
    select
        family,
        max(lineage_depth) as max_lineage_depth,
        count(*) as count_models,
    from models
    group by family
),

deepest as (
    select
        depths.family,
        depths.max_lineage_depth,
        depths.count_models,
        min(models.model_id) as deepest_model_id,
    from depths
    inner join models
        on models.family = depths.family
        and models.lineage_depth = depths.max_lineage_depth
    group by all
)

select *, from deepest
order by max_lineage_depth desc, count_models desc, family
limit 20
