-- model_counters: one row per model and snapshot date. Downloads between two snapshots come from the
-- all-time counter only: the 30-day window overlaps itself and cannot be summed into a delta.
with

pairs as (
    select * from hist_pairs
    where in_curr
),

run as (
    select
        getvariable('snapshot_date')::date as snapshot_date,
        getvariable('previous_snapshot_date')::date as previous_snapshot_date,
)

select
    run.snapshot_date,
    pairs.model_id,
    pairs.hub_id,
    pairs.downloads_30d,
    pairs.downloads_all_time,
    pairs.likes,
    pairs.prev_downloads_all_time as previous_downloads_all_time,
    pairs.downloads_all_time - pairs.prev_downloads_all_time as downloads_delta,
    pairs.likes - pairs.prev_likes as likes_delta,
    case
        when pairs.in_prev then (run.snapshot_date - run.previous_snapshot_date)::integer
    end as delta_days,
    -- a counter that went down was corrected by the Hub; its delta is not downloads
    coalesce(pairs.downloads_all_time < pairs.prev_downloads_all_time, false)
        as all_time_decreased,
from pairs
cross join run
order by pairs.model_id, pairs.hub_id
