-- `hist_joined` (join_snapshots.sql) for the first snapshot of a series: the snapshot itself, with
-- no previous values and every model new
select
    model_key,
    is_public as in_curr,
    false as in_prev,
    true as is_changed,
    * exclude (model_key, is_public, fingerprint),
    null::varchar as prev_model_id,
    null::bigint as prev_downloads_all_time,
    null::bigint as prev_likes,
from hist_curr
