-- the largest families on one snapshot by their root's descendants (a family is named by its
-- root); single-model families are not families to browse
with

models as (
    select *, from read_parquet($path, hive_partitioning = false)
    where not coalesce(is_private, false)
),

roots as (
    select
        family,
        max(n_descendants) filter (where model_id = family) as root_descendants,
        count(*) as members,
        -- of the members whose source counts them; null when none does
        sum(downloads_30d) as downloads_30d,
    from models
    -- a model whose parents are unknown and that no model names as a parent has no family
    where family is not null
    group by family
)

select
    family,
    coalesce(root_descendants, members - 1) as descendants,
    members,
    downloads_30d,
from roots
where members > 1
order by descendants desc, family
limit $top
