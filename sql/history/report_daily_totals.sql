-- the whole ecosystem on the latest snapshots, newest first, for the report's table
select
    snapshot_date,
    models,
    new,
    removed,
    created_that_day,
    downloads_delta,
from read_parquet($paths, hive_partitioning = false)
where dimension = 'all'
order by snapshot_date desc
limit 14
