-- Every record of one snapshot that did not become a staged row: those staging refused and the
-- lines the ingest already rejected, each with its reason, its id when one could be read, and its
-- text truncated to a bound with the full length and sha256 kept.
with

staging_rejects as (
    select
        snapshot_date,
        'staging' as stage,
        reason,
        -- a private repository's name is itself private: only its length and hash are kept
        case
            when reason <> 'private_record'
                then left(model_id, $record_key_chars)
        end as record_key,
        raw_record,
        raw_length,
        raw_sha256,
    from _stage_records
    where reason is not null
),

ingest_lines as (
    select json as line,
    from (
        select *, from read_ndjson_objects(
            $rejected::varchar[], ignore_errors = true, allow_empty = true,
            compression = 'gzip'  -- named, not guessed from the path (see load_raw_records)
        )
        -- without a rejected file the reader has no `json` column; this gives it one
        union all by name
        select null::json as json, where false
    )
),

ingest_fields as (
    select
        case when json_type(line, '$.reason') = 'VARCHAR' then line ->> '$.reason' end as reason_text,
        case when json_type(line, '$.raw') = 'VARCHAR' then line ->> '$.raw' end as raw_text,
        case
            when json_type(line, '$.length') in ('UBIGINT', 'BIGINT') then try_cast(line -> '$.length' as bigint)
        end as length_value,
        case
            when regexp_full_match(line ->> '$.sha256', '[0-9a-f]{64}') then line ->> '$.sha256'
        end as sha256_text,
        line,
    from ingest_lines
),

ingest_rejects as (
    select
        $snapshot_date::date as snapshot_date,
        'ingest' as stage,
        coalesce(nullif(reason_text, ''), 'unknown') as reason,
        -- the raw text is often a cut-off line; an id is read from it only when it parses
        case
            when json_valid(raw_text) and json_type(raw_text::json, '$.id') = 'VARCHAR'
                then left(raw_text::json ->> '$.id', $record_key_chars)
        end as record_key,
        -- a rejected line without its text still leaves a row: the rejection record itself
        left(coalesce(raw_text, line::varchar), $raw_record_chars) as raw_record,
        coalesce(length_value, strlen(raw_text)) as raw_length,
        coalesce(sha256_text, sha256(raw_text)) as raw_sha256,
    from ingest_fields
),

all_rejects as (
    select *, from staging_rejects
    union all
    select *, from ingest_rejects
)

select
    snapshot_date::date as snapshot_date,
    stage::varchar as stage,
    reason::varchar as reason,
    record_key::varchar as record_key,
    raw_record::varchar as raw_record,
    raw_length::bigint as raw_length,
    raw_sha256::varchar as raw_sha256,
from all_rejects
order by stage, reason, record_key nulls last, raw_sha256 nulls last, raw_record nulls last
