-- The staged rows of one snapshot, typed as docs/ARCHITECTURE.md fixes them, in the order of the
-- raw pages' lines: DuckDB keeps the order it reads (preserve_insertion_order), so staging the same
-- raw snapshot twice writes the same file without sorting its widest table (every published table
-- is sorted once, when written in release form).
select
    snapshot_date::date as snapshot_date,
    model_id::varchar as model_id,
    hub_id::varchar as hub_id,
    author::varchar as author,
    created_at::timestamp as created_at,
    -- the Hub's first stored creation date: the repo is at least this old, not born then
    (created_at = timestamp '2022-03-02 23:29:04')::boolean as created_at_is_placeholder,
    last_modified::timestamp as last_modified,
    downloads_30d::bigint as downloads_30d,
    downloads_all_time::bigint as downloads_all_time,
    likes::bigint as likes,
    trending_score::double as trending_score,
    pipeline_tag::varchar as pipeline_tag,
    library_name::varchar as library_name,
    gated::varchar as gated,
    is_private::boolean as is_private,
    is_disabled::boolean as is_disabled,
    parameter_count::bigint as parameter_count,
    tags::varchar[] as tags,
    license_tags::varchar[] as license_tags,
    card_license::varchar[] as card_license,
    card_license_name::varchar as card_license_name,
    card_license_link::varchar as card_license_link,
    base_model_tags::varchar[] as base_model_tags,
    card_base_model::varchar[] as card_base_model,
    card_base_model_relation::varchar as card_base_model_relation,
    card_datasets::varchar[] as card_datasets,
    siblings::varchar[] as siblings,
    gguf_present::boolean as gguf_present,
    card_data::json as card_data,
    -- the file the record was read from, on a date that combines several (`--combine`); null
    -- for a date read from one source (snapshot_sources.source_name names it)
    ($recording_names::varchar[])[recording] as source_recording,
    -- what the record's recording carries (sql/staging/recordings.sql)
    map($recordings::integer[], $has_cards::boolean[])[recording] as source_has_cards,
    map($recordings::integer[], $names_parents::boolean[])[recording] as source_names_parents,
from _stage_records
where reason is null
