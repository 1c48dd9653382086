-- snapshot_sources: the date's one row, with the fields the source lacked as staging counted them
-- in field_coverage (a field no record carries is missing from the source, not declared empty).
-- Fields a model may lack on its own (a repo without GGUF files, safetensors, a library or a task)
-- are left out: no record of a small day having one says nothing about the source.
with

coverage as (
    select
        list(field order by field) filter (
            where records_with_field = 0
            and field not in ('gguf', 'safetensors', 'library_name', 'pipeline_tag', 'disabled')
        ) as missing_fields,
        min(source_shape) as source_shape,
    from read_parquet($field_coverage_path)
    where snapshot_date = $snapshot_date::date
),

-- staging names each record's file since schema 1.5.0; a partition staged before does not, and
-- its per-record facts (1.4.5) hold a combined date's files as one: it says nothing of its files
names_files as (
    select count(*) > 0 as recorded,
    from parquet_schema($models_path)
    where name = 'source_recording'
),

staged as (
    select
        file_row_number,
        -- a date read from one source has no file name per record: the source's name
        coalesce(source_recording, $source_name::varchar) as recording,
        source_has_cards,
        source_names_parents,
    from (
        select *, from read_parquet($models_path, file_row_number = true)
        -- a partition staged before the columns existed lacks them
        union all by name
        select
            null::varchar as source_recording,
            null::boolean as source_has_cards,
            null::boolean as source_names_parents,
        where false
    )
),

recordings as (
    select
        recording,
        count(*) as models,
        -- every record of a file carries the same facts
        any_value(source_has_cards) as has_cards,
        any_value(source_names_parents) as names_parents,
        -- staged rows keep the order of the raw pages, which keep the order the files were read
        min(file_row_number) as first_row,
    from staged
    group by recording
),

carried as (
    select
        list(recording order by first_row) filter (where not has_cards) as without_cards,
        list(recording order by first_row) filter (where not names_parents) as without_parent_tags,
        sum(models) as models,
    from recordings
)

select
    $snapshot_date::date as snapshot_date,
    $source_kind::varchar as source_kind,
    $source_name::varchar as source_name,
    $source_sha256::varchar as source_sha256,
    $source_records::bigint as source_records,
    carried.models::bigint as models,
    (select count(*), from read_parquet($quarantine_path))::bigint as quarantined,
    $coverage::varchar as coverage,
    $subset_name::varchar as subset_name,
    $source_license::varchar as source_license,
    coverage.source_shape,
    coalesce(coverage.missing_fields, []::varchar[]) as missing_fields,
    if(names_files.recorded, coalesce(carried.without_cards, []::varchar[]), null)
        as recordings_without_cards,
    if(names_files.recorded, coalesce(carried.without_parent_tags, []::varchar[]), null)
        as recordings_without_parent_tags,
from coverage
cross join carried
cross join names_files
