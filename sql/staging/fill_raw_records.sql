-- The first read keeps no record text and no sha256 (a million lines of text would be gigabytes,
-- and hashing every line costs more than the rest of the read): this second read of only the pages
-- `$pages` that hold wanted records (mark_raw_wanted.sql) computes the sha256 and the bounded text
-- of just those lines. A line is found again by its page, its length and its 64-bit hash; two
-- different lines of one page alike in all three are not a practical concern (about one chance in
-- 10^7 for a page of a million lines).
update _stage_records
set
    raw_sha256 = originals.raw_sha256,
    -- a private record's text is never kept (docs/SECURITY.md)
    raw_record = if(_stage_records.reason = 'private_record', null, originals.raw_record)
from (
    with

    wanted as (
        select distinct
            raw_page,
            raw_length,
            raw_hash,
        from _stage_records
        where raw_wanted
    ),

    lines as (
        select
            filename as raw_page,
            strlen(json::varchar) as raw_length,
            hash(json::varchar) as raw_hash,
            json::varchar as line,
        -- compression named: DuckDB guesses it from the path, which a `?` in the root defeats
        from read_ndjson_objects(
            $pages::varchar[],
            ignore_errors = true,
            filename = true,
            maximum_object_size = $max_object_size,
            compression = 'gzip'
        )
        where json is not null
    ),

    matched as (
        select
            lines.raw_page,
            lines.raw_length,
            lines.raw_hash,
            sha256(lines.line) as raw_sha256,
            left(lines.line, $raw_record_chars) as raw_record,
        from lines
        semi join wanted using (raw_page, raw_length, raw_hash)
    )

    select
        raw_page,
        raw_length,
        raw_hash,
        any_value(raw_sha256) as raw_sha256,
        any_value(raw_record) as raw_record,
    from matched
    group by raw_page, raw_length, raw_hash
) as originals
where
    _stage_records.raw_wanted
    and _stage_records.raw_page = originals.raw_page
    and _stage_records.raw_length = originals.raw_length
    and _stage_records.raw_hash = originals.raw_hash
