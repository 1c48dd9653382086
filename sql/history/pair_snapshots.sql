-- every model public on D or on the previous snapshot, with its values on both sides (prev_*),
-- joined once so that each output reads the pairs instead of joining the snapshots again
with

curr as (
    select * from hist_loaded
    where side = 'curr' and is_public
),

prev as (
    select * from hist_loaded
    where side = 'prev' and is_public
)

select
    model_key,
    curr.model_key is not null as in_curr,
    prev.model_key is not null as in_prev,
    curr.hub_id,
    curr.model_id,
    curr.created_at,
    curr.created_at_is_placeholder,
    curr.downloads_30d,
    curr.downloads_all_time,
    curr.likes,
    curr.pipeline_tag,
    curr.library_name,
    curr.gated,
    curr.license_id,
    curr.license_category,
    curr.openness_tier,
    curr.base_models,
    curr.base_relation,
    curr.family,
    prev.hub_id as prev_hub_id,
    prev.model_id as prev_model_id,
    prev.downloads_all_time as prev_downloads_all_time,
    prev.likes as prev_likes,
    prev.pipeline_tag as prev_pipeline_tag,
    prev.library_name as prev_library_name,
    prev.gated as prev_gated,
    prev.license_id as prev_license_id,
    prev.license_category as prev_license_category,
    prev.openness_tier as prev_openness_tier,
    prev.base_models as prev_base_models,
    prev.base_relation as prev_base_relation,
    prev.family as prev_family,
from curr
full outer join prev using (model_key)
