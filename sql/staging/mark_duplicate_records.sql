-- A model listed twice in one snapshot (a page boundary moved during the crawl, or a rename
-- mid-crawl listed it under both names) keeps one row: the most recently modified; on a tie an id
-- with a namespace beats a legacy bare one (`gpt2` is now an alias of `openai-community/gpt2`),
-- then the record's sha256 decides, so the choice never depends on the order pages were read in.
-- Same `_id` first (one repository under two names), then the same id (case-insensitive, as on
-- the Hub) among what is left.
update _stage_records
set reason = duplicates.reason
from (
    with

    candidates as (
        select
            rowid as record_row,
            hub_id,
            lower(model_id) as model_key,
            last_modified,
            contains(model_id, '/') as has_namespace,
            raw_sha256,
        from _stage_records
        -- a record alone under its `_id` and its id is not wanted (mark_raw_wanted.sql)
        where reason is null and raw_wanted
    ),

    by_hub_id as (
        select
            *,
            -- records without `_id` (older sources) are told apart by their id alone
            case
                when hub_id is null then 1
                else row_number() over (
                    partition by hub_id order by last_modified desc nulls last, has_namespace desc, raw_sha256
                )
            end as hub_rank,
        from candidates
    ),

    by_model_id as (
        select
            *,
            row_number() over (
                partition by model_key order by last_modified desc nulls last, has_namespace desc, raw_sha256
            ) as model_rank,
        from by_hub_id
        where hub_rank = 1
    )

    select record_row, 'duplicate_hub_id' as reason, from by_hub_id where hub_rank > 1
    union all
    select record_row, 'duplicate_model_id' as reason, from by_model_id where model_rank > 1
) as duplicates
where _stage_records.rowid = duplicates.record_row
