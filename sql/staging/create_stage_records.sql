-- Every line of a raw snapshot's pages, parsed once into typed columns plus the reason it cannot
-- be staged (null when it can). Lines are read as JSON values and each field is typed by its JSON
-- type, so a field of the wrong type becomes null instead of failing the whole read.
--
-- The fields are pulled out of a line in one parse (json_extract with a list of paths), which
-- gives each value back as minified JSON text. Its type is then read from that text instead of
-- parsing it again: a string starts with `"`, an array with `[`, an object with `{`, a JSON null
-- is `null`, booleans are `true`/`false`, an integer is digits only (json_text and friends in
-- sql/staging/create_json_*_macro.sql). A million lines times some thirty fields made those
-- second parses most of the stage's time.
-- The line's text and sha256 are not kept: the few records that end in quarantine or tie as
-- duplicates get them from a second read of just their pages (fill_raw_records.sql).
--
-- Every shape the Hub's metadata has had since 2021 is read: the API's camelCase items (`id`,
-- `_id`), the 2021-22 listings (`modelId`, no `_id`, no `createdAt`, `cardData`, `gguf`),
-- huggingface_hub ModelInfo objects saved as dicts (snake_case: `created_at`, `card_data`, ...)
-- and rows of hub-stats-style Parquet dumps (`cardData`, `gguf` as JSON text).
create or replace temp table _stage_records as
with

raw_lines as (
    select
        json as record,
        filename as raw_page,
        strlen(json::varchar) as raw_length,
        -- a cheap hash finds the line again in the second read (fill_quarantined_raw_records.sql),
        -- which computes the sha256 of only the lines that need it
        hash(json::varchar) as raw_hash,
    from (
        -- a line that is not JSON at all comes back as a null record (counted, never skipped)
        select *, from read_ndjson_objects(
            $pages::varchar[],
            ignore_errors = true,
            allow_empty = true,
            filename = true,
            maximum_object_size = $max_object_size,
            -- named: DuckDB guesses it from the path, which a `?` in the output root defeats
            compression = 'gzip'
        )
        -- without pages the reader has no `json` column; this gives it one
        union all by name
        select null::json as json, null::varchar as filename, where false
    )
),

-- materialized so that each line is parsed once, not once per field that refers to it
fields as materialized (
    select
        raw_page,
        raw_length,
        raw_hash,
        -- valid JSON (the reader nulls what is not) that starts with `{` is an object
        case
            when starts_with(ltrim(record::varchar, e' \t\n\r'), '{') then 'OBJECT'
            else json_type(record)
        end as record_type,
        case when record_type = 'OBJECT' then json_extract(record, [
            '$._id', '$.id', '$.modelId', '$.author', '$.createdAt', '$.lastModified',
            '$.downloads', '$.downloadsAllTime', '$.likes', '$.trendingScore',
            '$.pipeline_tag', '$.library_name', '$.gated', '$.private', '$.disabled',
            '$.safetensors.total', '$.tags', '$.siblings', '$.gguf', '$.cardData',
            '$.cardData.license', '$.cardData.license_name', '$.cardData.license_link',
            '$.cardData.base_model', '$.cardData.base_model_relation', '$.cardData.datasets',
            -- huggingface_hub ModelInfo's snake_case names, the Parquet dumps' `baseModels`
            '$.created_at', '$.last_modified', '$.downloads_all_time', '$.trending_score',
            '$.card_data', '$.safetensors', '$.baseModels'
        ]) end as v,
    from raw_lines
),

named as (
    select
        raw_page,
        raw_length,
        raw_hash,
        record_type,
        v[1] as j_hub_id,
        v[2] as j_id,
        v[3] as j_model_id,
        v[4] as j_author,
        coalesce(v[5], v[27]) as j_created_at,
        coalesce(v[6], v[28]) as j_last_modified,
        v[7] as j_downloads,
        coalesce(v[8], v[29]) as j_downloads_all_time,
        v[9] as j_likes,
        coalesce(v[10], v[30]) as j_trending_score,
        v[11] as j_pipeline_tag,
        v[12] as j_library_name,
        v[13] as j_gated,
        v[14] as j_private,
        v[15] as j_disabled,
        v[16] as j_parameter_count,
        v[17] as j_tags,
        v[18] as j_siblings,
        -- a Parquet dump's gguf is JSON text: the text itself says the block is there
        v[19] as j_gguf,
        coalesce(v[20], v[31]) as j_card_any,
        v[32] as j_safetensors,
        -- the card's fields, read from the record when cardData is an object; from the card's
        -- own JSON text (Parquet dumps) or the snake_case `card_data` in the next step
        starts_with(v[20], '{') as card_in_record,
        [v[21], v[22], v[23], v[24], v[25], v[26]] as card_v,
        -- which shape of record this is, by the keys only that shape has
        case
            when v[27] is not null or v[28] is not null or v[29] is not null
                or v[30] is not null or v[31] is not null
                then 'modelinfo_dict'
            when v[1] is null and (v[33] is not null or starts_with(v[20], '"'))
                then 'hub_stats_parquet'
            when v[1] is null and v[2] is null and v[3] is not null then 'listing_2022'
            when v[1] is not null then 'api_2026'
            else 'api_without_hub_id'
        end as source_shape,
    from fields
),

cards as (
    select
        * exclude (card_v, card_in_record),
        case
            when card_in_record then null
            when starts_with(j_card_any, '{') then j_card_any
            when starts_with(j_card_any, '"')
                and json_valid(j_card_any ->> '$')
                and json_type((j_card_any ->> '$')::json) = 'OBJECT'
                then (j_card_any ->> '$')::json
            -- a card kept as its YAML text (a ModelInfo saved with str() of its card), read by
            -- pipeline.cards.card_yaml_as_json: null, so still text, when it cannot be read
            when starts_with(j_card_any, '"') and not json_valid(j_card_any ->> '$')
                then card_yaml_as_json(j_card_any ->> '$')::json
        end as card_elsewhere,
        case
            when card_in_record then card_v
            when card_elsewhere is not null then json_extract(card_elsewhere, [
                '$.license', '$.license_name', '$.license_link',
                '$.base_model', '$.base_model_relation', '$.datasets'
            ])
        end as card_fields,
    from named
),

card_named as (
    select
        * exclude (card_fields, card_elsewhere),
        -- the card as an object (its JSON text parsed); text that is not JSON is kept as text
        case
            when card_elsewhere is not null then card_elsewhere
            when j_card_any <> 'null' then j_card_any
        end as j_card_data,
        -- a cardData that is not an object (a YAML string, say) has none of these
        card_fields[1] as j_card_license,
        card_fields[2] as j_card_license_name,
        card_fields[3] as j_card_license_link,
        card_fields[4] as j_card_base_model,
        card_fields[5] as j_card_base_model_relation,
        card_fields[6] as j_card_datasets,
    from cards
),

texts as (
    select
        *,
        nullif(json_text(j_id), '') as id_text,
        nullif(json_text(j_model_id), '') as model_id_text,
        json_text(j_hub_id) as hub_id_text,
        nullif(json_text(j_author), '') as author_text,
        json_text(j_created_at) as created_text,
        json_text(j_last_modified) as modified_text,
        -- list elements that are not strings are kept as their JSON text, nulls are dropped
        case
            when starts_with(j_tags, '[')
                then list_filter(from_json(j_tags, '["VARCHAR"]'), lambda t: t is not null)
        end as tag_list,
    from card_named
),

ids as (
    select
        *,
        coalesce(id_text, model_id_text) as model_id,
    from texts
),

typed as (
    select
        raw_page,
        raw_length,
        raw_hash,
        $snapshot_date::date as snapshot_date,
        model_id,
        -- null when the source has no `_id`: renames cannot be followed for that source
        hub_id_text as hub_id,
        coalesce(
            author_text,
            case when contains(model_id, '/') then split_part(model_id, '/', 1) end
        ) as author,
        -- ISO 8601 at UTC, else unknown (sql/staging/create_json_timestamp_macro.sql)
        json_timestamp(created_text) as created_at,
        json_timestamp(modified_text) as last_modified,
        -- counters are non-negative JSON integers; anything else is unknown, not zero
        -- (sql/staging/create_json_count_macro.sql)
        json_count(j_downloads) as downloads_30d,
        json_count(j_downloads_all_time) as downloads_all_time,
        json_count(j_likes) as likes,
        case
            -- a JSON number (a cast of JSON would read a string "1.5" as a number too)
            when regexp_matches(j_trending_score, '^-?[0-9]')
                and isfinite(try_cast(j_trending_score as double))
                then try_cast(j_trending_score as double)
        end as trending_score,
        json_text(j_pipeline_tag) as pipeline_tag,
        json_text(j_library_name) as library_name,
        case
            when j_gated = 'false' then 'no'
            when j_gated in ('"auto"', '"manual"') then json_text(j_gated)
        end as gated,
        case when j_private in ('true', 'false') then j_private = 'true' end as is_private,
        case when j_disabled in ('true', 'false') then j_disabled = 'true' end as is_disabled,
        json_count(j_parameter_count) as parameter_count,
        tag_list as tags,
        list_transform(
            list_filter(tag_list, lambda t: starts_with(t, 'license:') and length(t) > 8),
            lambda t: t[9:]
        ) as license_tags,
        list_filter(tag_list, lambda t: starts_with(t, 'base_model:')) as base_model_tags,
        -- card values are the author's claim, kept as typed: a single value becomes a one-element
        -- list, list elements that are not strings are kept as JSON text, nulls carry no claim
        json_string_list(j_card_license) as card_license,
        case
            when starts_with(j_card_license_name, '"') then json_text(j_card_license_name)
            when j_card_license_name <> 'null' then j_card_license_name::varchar
        end as card_license_name,
        json_text(j_card_license_link) as card_license_link,
        json_string_list(j_card_base_model) as card_base_model,
        json_text(j_card_base_model_relation) as card_base_model_relation,
        json_string_list(j_card_datasets) as card_datasets,
        -- a file entry without a name (or not an object at all) names no file
        case
            when starts_with(j_siblings, '[{') or j_siblings = '[]'
                then list_filter(
                    list_transform(
                        from_json(j_siblings, '[{"rfilename": "VARCHAR"}]'), lambda s: s.rfilename
                    ),
                    lambda name: name is not null
                )
            -- a ModelInfo saved with json.dumps(vars(info), default=str) holds each file as
            -- the repr of its RepoSibling (../shared/research/hub_api_shape.md, section 5): its
            -- name is read from the repr when quoted plainly (no backslash escape in it)
            when starts_with(j_siblings, '[')
                then list_filter(
                    list_transform(
                        from_json(j_siblings, '["JSON"]'),
                        lambda e: case
                            when starts_with(e, '{') then e ->> '$.rfilename'
                            when starts_with(e, '"RepoSibling(rfilename=')
                                then coalesce(
                                    nullif(regexp_extract(e ->> '$', '^RepoSibling\(rfilename=''([^''\\]*)''[,)]', 1), ''),
                                    nullif(regexp_extract(e ->> '$', '^RepoSibling\(rfilename="([^"\\]*)"[,)]', 1), '')
                                )
                        end
                    ),
                    lambda name: name is not null
                )
        end as siblings,
        -- listings of 2021-22 predate the gguf block: unknown there, not "none". A full item
        -- leaves the block out when the repository has no GGUF file; a record without it and
        -- without a file list (an `expand` answer, a listing not asked for files) says nothing
        case
            when source_shape = 'listing_2022' then null
            when j_gguf is not null then j_gguf <> 'null'
            when j_siblings is not null then false
        end as gguf_present,
        j_card_data as card_data,
        source_shape,
        -- the recording a date that combines several (`--combine`) read the line from: what a
        -- source carries (cards, parents in its tags) is decided per recording, since files of
        -- different eras and shapes may share a date (sql/staging/recordings.sql)
        case
            when $combined
                then ($page_recordings::integer[])[
                    try_cast(regexp_extract(raw_page, 'page-([0-9]+)[.]jsonl[.]gz$', 1) as integer)
                ]
            else 1
        end as recording,
        -- which source fields this record carries (a non-null value), for field_coverage
        {
            '_id': coalesce(j_hub_id <> 'null', false),
            'id': coalesce(j_id <> 'null', false),
            'modelId': coalesce(j_model_id <> 'null', false),
            'author': coalesce(j_author <> 'null', false),
            'createdAt': coalesce(j_created_at <> 'null', false),
            'lastModified': coalesce(j_last_modified <> 'null', false),
            'downloads': coalesce(j_downloads <> 'null', false),
            'downloadsAllTime': coalesce(j_downloads_all_time <> 'null', false),
            'likes': coalesce(j_likes <> 'null', false),
            'trendingScore': coalesce(j_trending_score <> 'null', false),
            'pipeline_tag': coalesce(j_pipeline_tag <> 'null', false),
            'library_name': coalesce(j_library_name <> 'null', false),
            'gated': coalesce(j_gated <> 'null', false),
            'private': coalesce(j_private <> 'null', false),
            'disabled': coalesce(j_disabled <> 'null', false),
            'safetensors': coalesce(j_safetensors <> 'null', false),
            'tags': coalesce(j_tags <> 'null', false),
            'siblings': coalesce(j_siblings <> 'null', false),
            'gguf': coalesce(j_gguf <> 'null', false),
            'cardData': j_card_data is not null,
        } as fields_present,
        -- checked in this order; the first failing check is the reason
        case
            when record_type is null then 'invalid_json'
            when record_type <> 'OBJECT' then 'not_an_object'
            -- listed only to a token that can see it: never staged, and nothing of it is kept
            -- (docs/SECURITY.md)
            when j_private = 'true'
                then 'private_record'
            when raw_length > $max_record_bytes then 'record_too_large'
            when model_id is null then 'missing_id'
            -- only ids unsafe as a key or a path (create_unsafe_model_id_macro.sql)
            when unsafe_model_id(model_id) then 'invalid_id'
            -- no `_id` (older listings, dumps): staged with hub_id null. A present `_id` that
            -- is not an ObjectId is corrupt.
            when j_hub_id <> 'null' and not coalesce(regexp_full_match(hub_id_text, '[0-9a-f]{24}'), false)
                then 'invalid_hub_id'
        end as reason,
    from ids
)

select
    *,
    -- filled for the few lines that need them (fill_raw_records.sql)
    false as raw_wanted,
    null::varchar as raw_sha256,
    null::varchar as raw_record,
from typed
