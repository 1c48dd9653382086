-- The first read keeps no record text (a million lines of it would be gigabytes); this second read
-- of only the pages `$pages` that hold quarantined records fetches their bounded text, matched
-- by sha256.
update _stage_records
set raw_record = originals.raw_record
from (
    with

    wanted as (
        select distinct raw_sha256,
        from _stage_records
        -- a private record's text is never kept (docs/SECURITY.md)
        where reason is not null and reason <> 'private_record' and raw_sha256 is not null
    ),

    lines as (
        select
            sha256(json::varchar) as raw_sha256,
            left(json::varchar, $raw_record_chars) as raw_record,
        -- compression named: DuckDB guesses it from the path, which a `?` in the root defeats
        from read_ndjson_objects(
            $pages::varchar[],
            ignore_errors = true,
            maximum_object_size = $max_object_size,
            compression = 'gzip'
        )
        where json is not null
    )

    select
        raw_sha256,
        any_value(raw_record) as raw_record,
    from lines
    semi join wanted using (raw_sha256)
    group by raw_sha256
) as originals
where
    _stage_records.reason is not null
    and _stage_records.reason <> 'private_record'
    and _stage_records.raw_sha256 = originals.raw_sha256
