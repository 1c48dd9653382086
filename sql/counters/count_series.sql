-- what a fold wrote: rows, observed rows, models
select count(*), count(*) filter (where observed), count(distinct model_id),
from read_parquet($path)
