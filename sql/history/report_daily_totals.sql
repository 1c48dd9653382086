-- the whole ecosystem on every snapshot, oldest first, for the explorer's growth chart and table;
-- partitions written before coverage was recorded read it as null (union_by_name)
select
    snapshot_date,
    models,
    new,
    removed,
    created_that_day,
    downloads_delta,
    coverage,
    comparable_to_previous,
from read_parquet($paths, hive_partitioning = false, union_by_name = true)
where dimension = 'all'
order by snapshot_date
