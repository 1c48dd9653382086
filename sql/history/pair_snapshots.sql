-- the models of `delta_keys.sql` public on D or on the previous snapshot, with their values on both
-- sides (prev_*), joined once so that changes, attribute versions and removals read the pairs
with

keys as (
    select *, from hist_delta_keys
),

curr as (
    select *, from hist_joined
    semi join keys using (model_key)
    where in_curr
),

prev as (
    select *, from hist_prev
    semi join keys using (model_key)
    where is_public
)

select
    model_key,
    curr.model_key is not null as in_curr,
    prev.model_key is not null as in_prev,
    keys.names_moved_parent,
    curr.own_key,
    curr.hub_id,
    curr.model_id,
    curr.created_at,
    curr.created_at_is_placeholder,
    curr.pipeline_tag,
    curr.library_name,
    curr.gated,
    curr.license_id,
    curr.license_category,
    list_sort(curr.base_models) as base_models,
    curr.parents_unknown,
    curr.base_relation,
    curr.family,
    prev.own_key as prev_own_key,
    prev.hub_id as prev_hub_id,
    prev.model_id as prev_model_id,
    prev.created_at as prev_created_at,
    prev.created_at_is_placeholder as prev_created_at_is_placeholder,
    prev.pipeline_tag as prev_pipeline_tag,
    prev.library_name as prev_library_name,
    prev.gated as prev_gated,
    prev.license_id as prev_license_id,
    prev.license_category as prev_license_category,
    prev.openness_tier as prev_openness_tier,
    list_sort(prev.base_models) as prev_base_models,
    prev.parents_unknown as prev_parents_unknown,
    prev.base_relation as prev_base_relation,
    prev.family as prev_family,
from curr
full outer join prev using (model_key)
inner join keys using (model_key)
