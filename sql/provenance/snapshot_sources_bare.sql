-- snapshot_sources without field_coverage (staging did not record it): the source's shape and
-- missing fields are unknown, so they are null rather than "nothing missing"
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
    null::varchar as source_shape,
    null::varchar[] as missing_fields,
    null::varchar[] as recordings_without_cards,
    null::varchar[] as recordings_without_parent_tags,
