-- field_coverage of one snapshot: for each source field the census reads, on how many of the
-- day's staged records it carries a value (an absent key and a JSON null both count as absent),
-- and the shape(s) of record the source has. A field with 0 records is one the source lacks: its
-- staged column is null that day for that reason, not because every model declared nothing.
with

staged as (
    select fields_present, source_shape,
    from _stage_records
    where reason is null
),

day as (
    select
        count(*) as records,
        string_agg(distinct source_shape, '+' order by source_shape) as source_shape,
    from staged
),

counts as (
    unpivot (
        select sum(columns(*)::bigint), from (select fields_present.*, from staged)
    )
    on columns(*)
    into name field value records_with_field
)

select
    $snapshot_date::date as snapshot_date,
    counts.field::varchar as field,
    counts.records_with_field::bigint as records_with_field,
    day.records::bigint as records,
    day.source_shape::varchar as source_shape,
from counts
cross join day
order by field
