-- the same answer as source_fields.sql from a day's `field_coverage` partition, written by staging:
-- a field is carried when at least one record of the day's source had it. Fields the table does
-- not list count as carried. Bound: $path.
with

coverage as (
    select
        field,
        sum(records_with_field) > 0 as carried,
    from read_parquet($path, hive_partitioning = false)
    group by field
)

select
    coalesce((select bool_and(carried), from coverage where field in ('_id', 'hub_id')), true)
        as has_id,
    coalesce((select bool_and(carried), from coverage where field in ('cardData', 'card_data')), true)
        as has_card_data,
    coalesce((select bool_and(carried), from coverage where field = 'gated'), true) as has_gated,
