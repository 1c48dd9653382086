-- one dimension of ecosystem_daily across the series, for the report's charts
select
    snapshot_date,
    value,
    models,
    downloads_30d,
from read_parquet($paths, hive_partitioning = false)
where dimension = $dimension
order by snapshot_date, value
