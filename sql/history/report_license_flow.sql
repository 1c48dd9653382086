-- resolved lineage edges on one snapshot by the parent's and the child's licence category
select
    -- a model whose declaration is unknown (neither tags nor card) did not drop a licence
    coalesce(parent_license_category, '(unknown)') as parent_category,
    coalesce(child_license_category, '(unknown)') as child_category,
    count(*) as edges,
from read_parquet($path, hive_partitioning = false)
where parent_id is not null
group by all
order by all
