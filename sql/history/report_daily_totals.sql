-- the whole ecosystem on the latest snapshots, newest first, for the report's table; partitions
-- written before coverage was recorded read it as null (union_by_name)
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
order by snapshot_date desc
limit 14
