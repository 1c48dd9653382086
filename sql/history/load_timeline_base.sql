-- the previous snapshot's creation timeline partition, bound as $path
insert into hist_timeline_base
select
    created_period,
    period_start,
    dimension,
    value,
    models,
from read_parquet($path, hive_partitioning = false)
