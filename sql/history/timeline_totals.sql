-- models counted by each dimension of one written creation_timeline partition ($path): every
-- dimension counts each public model of the day exactly once
select
    dimension,
    sum(models)::bigint as models,
from read_parquet($path, hive_partitioning = false)
group by dimension
order by dimension
