-- every line of a raw dataset listing's pages, parsed once into typed columns; a field of the
-- wrong type becomes null (json_type checks), a line that is not an object is left out and counted
-- by the caller from the manifest. needs: variable dataset_pages (list of page paths), macro
-- json_timestamp
create or replace temp table dataset_records as
with

raw_lines as (
    select json as record,
    from read_ndjson_objects(
        $dataset_pages,
        ignore_errors = true,
        allow_empty = true,
        compression = 'gzip'
    )
),

fields as materialized (
    select
        json_extract(record, [
            '$._id', '$.id', '$.author', '$.createdAt', '$.lastModified', '$.downloads',
            '$.likes', '$.gated', '$.private', '$.disabled', '$.tags', '$.cardData.license',
            '$.cardData.license_name', '$.cardData.license_link'
        ]) as v,
    from raw_lines
    where json_type(record) = 'OBJECT'
)

select
    if(json_type(v[1]) = 'VARCHAR', v[1] ->> '$', null) as hub_id,
    if(json_type(v[2]) = 'VARCHAR', v[2] ->> '$', null) as dataset_id,
    if(json_type(v[3]) = 'VARCHAR', v[3] ->> '$', null) as author,
    -- ISO 8601 at UTC, as staging reads a model's (sql/staging/create_json_timestamp_macro.sql):
    -- a cast to timestamptz and back would shift by the session's time zone
    json_timestamp(if(json_type(v[4]) = 'VARCHAR', v[4] ->> '$', null)) as created_at,
    json_timestamp(if(json_type(v[5]) = 'VARCHAR', v[5] ->> '$', null)) as last_modified,
    if(json_type(v[6]) in ('UBIGINT', 'BIGINT'), v[6]::bigint, null) as downloads,
    if(json_type(v[7]) in ('UBIGINT', 'BIGINT'), v[7]::bigint, null) as likes,
    case
        when json_type(v[8]) = 'VARCHAR' then lower(v[8] ->> '$')
        when json_type(v[8]) = 'BOOLEAN' then if(v[8]::boolean, 'auto', 'no')
        else 'no'
    end as gated,
    -- a private repo is never published; an unreadable flag counts as private, not public
    case
        when v[9] is null or json_type(v[9]) = 'NULL' then false
        when json_type(v[9]) = 'BOOLEAN' then v[9]::boolean
        else true
    end as is_private,
    coalesce(json_type(v[10]) = 'BOOLEAN' and v[10]::boolean, false) as is_disabled,
    list_transform(
        list_filter(
            if(json_type(v[11]) = 'ARRAY', v[11]::json[], []),
            lambda t: json_type(t) = 'VARCHAR' and starts_with(t ->> '$', 'license:')
        ),
        lambda t: (t ->> '$')[9:]
    ) as license_tags,
    case json_type(v[12])
        when 'NULL' then null
        when 'VARCHAR' then [v[12] ->> '$']
        when 'ARRAY' then list_transform(
            v[12]::json[], lambda x: if(json_type(x) = 'VARCHAR', x ->> '$', x::varchar)
        )
        else [v[12]::varchar]
    end as card_license,
    if(json_type(v[13]) = 'VARCHAR', v[13] ->> '$', v[13]::varchar) as card_license_name,
    if(json_type(v[14]) = 'VARCHAR', v[14] ->> '$', v[14]::varchar) as card_license_link,
from fields
