-- the licence stated for the source of each date (`--source-license`), one row per date that
-- names one. Read by column name: partitions written before the column existed lack it.
select *,
from read_parquet($paths::varchar[], union_by_name = true)
