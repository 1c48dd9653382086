-- public models by lineage depth on one snapshot
select
    coalesce(lineage_depth, 0) as lineage_depth,
    count(*) as models,
from read_parquet($path, hive_partitioning = false)
where not coalesce(is_private, false)
group by all
order by lineage_depth
