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
)

select
    $snapshot_date::date as snapshot_date,
    $source_kind::varchar as source_kind,
    $source_name::varchar as source_name,
    $source_sha256::varchar as source_sha256,
    $source_records::bigint as source_records,
    (select count(*), from read_parquet($models_path))::bigint as models,
    (select count(*), from read_parquet($quarantine_path))::bigint as quarantined,
    $coverage::varchar as coverage,
    $subset_name::varchar as subset_name,
    $source_license::varchar as source_license,
    coverage.source_shape,
    coalesce(coverage.missing_fields, []::varchar[]) as missing_fields,
from coverage
