-- model_attribute_history, partition D: the attribute versions that begin on D. A model that is new
-- or whose tracked attributes (id, licence, parents, gating, task, library) changed since the
-- previous snapshot opens a version; a model that disappeared gets a tombstone (is_present false).
-- Each partition depends only on D and the previous snapshot, so rebuilding D is idempotent; the
-- SCD type 2 view (`attribute_history.sql`) derives valid_to from the next version of the model.
-- Versions are kept under the model's own key (its _id, else its id): where the key changes
-- between the snapshots (a source with _id follows one without), the version under the old key
-- ends and the same values open under the new one. Parents a record cannot name are kept as null
-- (unknown), not as an empty list (no parents), as the licence of such a record is.
with

pairs as (
    select *, from hist_pairs
),

first_versions as (
    -- the first snapshot of a series opens a version for every model
    select
        own_key as model_key,
        hub_id,
        model_id,
        license_id,
        if(parents_unknown, null, list_sort(base_models)) as base_models,
        gated,
        pipeline_tag,
        library_name,
    from hist_curr
    where is_public and $previous_snapshot_date is null
),

stated as (
    select
        *,
        if(parents_unknown, null, base_models) as parents_stated,
        if(prev_parents_unknown, null, prev_base_models) as prev_parents_stated,
    from pairs
),

opened as (
    select
        own_key as model_key,
        hub_id,
        model_id,
        license_id,
        parents_stated as base_models,
        gated,
        pipeline_tag,
        library_name,
    from stated
    where in_curr
        and (
            not in_prev
            or own_key is distinct from prev_own_key
            or model_id is distinct from prev_model_id
            or license_id is distinct from prev_license_id
            or parents_stated is distinct from prev_parents_stated
            or gated is distinct from prev_gated
            or pipeline_tag is distinct from prev_pipeline_tag
            or library_name is distinct from prev_library_name
        )
),

tombstones as (
    select
        prev_own_key as model_key,
        prev_hub_id as hub_id,
        prev_model_id as model_id,
        null::varchar as license_id,
        null::varchar[] as base_models,
        null::varchar as gated,
        null::varchar as pipeline_tag,
        null::varchar as library_name,
    from pairs
    where in_prev and (not in_curr or own_key is distinct from prev_own_key)
),

versions as (
    select
        *,
        true as is_present,
    from first_versions
    union all
    select
        *,
        true as is_present,
    from opened
    union all
    select
        *,
        false as is_present,
    from tombstones
)

select
    $snapshot_date::date as snapshot_date,
    $snapshot_date::date as valid_from,
    versions.*,
from versions
order by model_key
