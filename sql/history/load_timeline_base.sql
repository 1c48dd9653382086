-- the previous snapshot's creation timeline partition, bound as $path
insert into hist_timeline_base
select
    created_period,
    period_start,
    dimension,
    -- a timeline written before schema 1.4.1 labels an unknown licence category '(none)' (the
    -- category `none` is its own value): relabelled so that the day's moves take it out of the
    -- row they put it in
    if(
        dimension = 'license_category' and value = '(none)', '(unknown)', value
    ) as value,
    models,
from read_parquet($path, hive_partitioning = false)
