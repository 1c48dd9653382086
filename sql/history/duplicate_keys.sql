-- keys that occur more than once in a snapshot (the models table is one row per model). The
-- previous snapshot is checked only when it was never checked as a day of its own ($check_prev).
with

keys as (
    select
        'curr' as side,
        model_key,
    from hist_curr
    union all
    select
        'prev' as side,
        model_key,
    from hist_prev
    where $check_prev
)

select
    side,
    model_key,
    count(*) as n_rows,
from keys
group by side, model_key
having count(*) > 1
order by side, model_key
limit 5
