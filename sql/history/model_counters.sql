-- model_counters: one row per model and snapshot date. Downloads between two snapshots come from the
-- all-time counter only: the 30-day window overlaps itself and cannot be summed into a delta.
with

curr as (
    select *, from hist_joined
    where in_curr
),

run as (
    select
        $snapshot_date::date as snapshot_date,
        $previous_snapshot_date::date as previous_snapshot_date,
)

select
    run.snapshot_date,
    curr.model_id,
    curr.hub_id,
    curr.downloads_30d,
    curr.downloads_all_time,
    curr.likes,
    curr.prev_downloads_all_time as previous_downloads_all_time,
    curr.downloads_all_time - curr.prev_downloads_all_time as downloads_delta,
    curr.likes - curr.prev_likes as likes_delta,
    case
        when curr.in_prev then (run.snapshot_date - run.previous_snapshot_date)::integer
    end as delta_days,
    -- a counter that went down was corrected by the Hub; its delta is not downloads
    coalesce(curr.downloads_all_time < curr.prev_downloads_all_time, false)
        as all_time_decreased,
from curr
cross join run
order by curr.model_id, curr.hub_id
