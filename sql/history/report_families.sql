-- the largest families on one snapshot by their root's descendants (a family is named by its root)
with

models as (
    select * from read_parquet($path, hive_partitioning = false)
    where not coalesce(is_private, false)
),

roots as (
    select
        family,
        max(n_descendants) filter (where model_id = family) as root_descendants,
        count(*) as members,
    from models
    group by family
)

select
    family,
    coalesce(root_descendants, members - 1) as descendants,
from roots
order by descendants desc, family
limit $top
