-- resolved lineage edges on one snapshot by the parent's and the child's licence category
select
    coalesce(parent_license_category, 'none') as parent_category,
    coalesce(child_license_category, 'none') as child_category,
    count(*) as edges,
from read_parquet($path, hive_partitioning = false)
where parent_id is not null
group by all
order by all
