-- every model listed on D or on the previous snapshot: D's columns, the previous snapshot's id and
-- counters, and whether anything compared differs (`is_changed`: on one side only, or another
-- fingerprint, load_models.sql). One join of the two snapshots that the counters, the ecosystem
-- aggregates, the creation timeline and the day's delta all read. `in_curr` / `in_prev`: public
-- on that snapshot (a private model is not part of the public census). The first snapshot of a
-- series has nothing to join: first_snapshot.sql gives it the same columns.
with

curr as (
    select *, from hist_curr
),

prev as (
    select
        model_key,
        is_public,
        model_id,
        downloads_all_time,
        likes,
        fingerprint,
    from hist_prev
)

select
    model_key,
    coalesce(curr.is_public, false) as in_curr,
    coalesce(prev.is_public, false) as in_prev,
    curr.model_key is null
    or prev.model_key is null
    or curr.fingerprint <> prev.fingerprint as is_changed,
    curr.* exclude (model_key, is_public, fingerprint),
    prev.model_id as prev_model_id,
    -- counters of the previous snapshot count only where the model was public there
    if(prev.is_public, prev.downloads_all_time, null) as prev_downloads_all_time,
    if(prev.is_public, prev.likes, null) as prev_likes,
from curr
full outer join prev using (model_key)
