select
    reason,
    count(*) as records,
from read_parquet($path)
group by reason
order by reason
