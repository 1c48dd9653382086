-- rows of one written model_changes partition by kind of change
select
    change,
    count(*) as n,
from read_parquet($changes_path, hive_partitioning = false)
group by change
