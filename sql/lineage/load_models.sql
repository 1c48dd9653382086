-- One row per model of the snapshot: the ids references resolve against.
-- Input: $staged_path, the day's models_staged partition (one row per id:
-- staging quarantines duplicate ids, compared case-insensitively as the Hub does).
-- `parents_shown`: the record can name its parents. Its tags can when the source's tags name
-- parents at all: the Hub has added `base_model:` tags since 2023, derived from the card, so a
-- source none of whose records carries one (a 2022 listing) says nothing of parents through its
-- tags. The source is the record's own recording on a date that combines several
-- (`source_names_parents`, written by staging); the whole day for a partition staged before.
-- `base_model_tags` is null exactly when the record shows no tags, and is narrow, unlike the
-- tags. A record that shows its card can name them too: mark_card_parents_shown.sql, run only
-- when some record is not shown by its tags, since it reads the widest column.
create or replace temp table lin_models as
with

staged as (
    select
        model_id,
        hub_id,
        created_at,
        base_model_tags is not null as tags_shown,
        len(base_model_tags) > 0 as names_parent_in_tags,
        source_names_parents,
    from (
        select *, from read_parquet($staged_path)
        -- a partition staged before the column existed lacks it: null, the day decides
        union all by name
        select null::boolean as source_names_parents, where false
    )
    where model_id is not null
),

source as (
    select coalesce(bool_or(names_parent_in_tags), false) as tags_name_parents,
    from staged
)

select
    staged.model_id,
    lower(staged.model_id) as model_key,
    staged.hub_id,
    staged.created_at,
    staged.tags_shown
    and coalesce(staged.source_names_parents, source.tags_name_parents) as parents_shown,
from staged
cross join source
