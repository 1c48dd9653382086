-- The largest families of one release: one row per family, top ten.
with

models as (
    select *, from models
),

final as (
    select
        family,
        count(*) as count_models,
        max(lineage_depth) as max_lineage_depth,
    from models
    where family is not null
    group by family
    having count(*) > 1
)

select *, from final
order by count_models desc, family
limit 10
