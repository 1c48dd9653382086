-- Rows in one partition file.
select count(*) as rows_in_partition,
from read_parquet($path)
