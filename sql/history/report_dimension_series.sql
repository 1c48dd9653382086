-- one dimension of ecosystem_daily across the series, for the report's charts
select
    snapshot_date,
    -- partitions written before schema 1.4.1 label an unknown licence category or tier '(none)'
    -- (the category and tier `none` are values of their own): one label across the series
    if(
        $dimension in ('license_category', 'openness_tier') and value = '(none)',
        '(unknown)',
        value
    ) as value,
    models,
    downloads_30d,
from read_parquet($paths, hive_partitioning = false)
where dimension = $dimension
order by snapshot_date, value
