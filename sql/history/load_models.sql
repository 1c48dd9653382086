-- the columns history reads from one `models` partition, keyed by the Hub's stable _id. A private
-- model is not part of the public census (it counts as gone) but its id still names a parent.
-- Bound: $path (the partition), $present (false stands for "no previous snapshot": no rows),
-- $match_by_id (one of the two snapshots' sources lacked `_id`: both are keyed by id).
with

models as (
    select *, from read_parquet($path, hive_partitioning = false)
    where $present
),

keyed as (
    select
        not coalesce(is_private, false) as is_public,
        -- _id survives renames; a row without one can only be followed by its id, and so can
        -- every row when the other snapshot has no _id to match (`own_key`: the row's own key,
        -- under which its attribute versions are kept)
        if($match_by_id, 'id:' || model_id, coalesce(hub_id, 'id:' || model_id)) as model_key,
        coalesce(hub_id, 'id:' || model_id) as own_key,
        hub_id,
        model_id,
        created_at,
        coalesce(created_at_is_placeholder, false)
            or created_at = timestamp '2022-03-02 23:29:04' as created_at_is_placeholder,
        downloads_30d,
        downloads_all_time,
        likes,
        pipeline_tag,
        library_name,
        gated,
        license_id,
        license_category,
        openness_tier,
        -- parents are a set: whoever compares or keeps them sorts them (list_sort), which most
        -- reads of an unchanged model can skip
        coalesce(base_models, []::varchar[]) as base_models,
        -- null parents are unknown (a record or source that cannot name them: lineage writes
        -- them so), an empty list is no parent: the relation counted is '(unknown)', not none,
        -- and neither a parent change nor an attribute version says "no parents" for them
        models.base_models is null as parents_unknown,
        if(models.base_models is null, '(unknown)', base_relation) as base_relation,
        family,
    from models
)

select
    *,
    -- what a day compares (join_snapshots.sql): presence, the tracked attributes (parents as a
    -- set) and what the creation timeline counts by. A 64-bit hash, so that the comparison of
    -- every model carries one number per side instead of thirteen columns.
    hash(
        is_public,
        own_key,
        model_id,
        license_id,
        list_sort(base_models),
        gated,
        pipeline_tag,
        library_name,
        created_at,
        created_at_is_placeholder,
        family,
        license_category,
        base_relation
    ) as fingerprint,
from keyed
