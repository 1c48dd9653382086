-- keys that occur more than once on one side (the models table is one row per model)
select
    side,
    model_key,
    count(*) as n_rows,
from hist_loaded
group by side, model_key
having count(*) > 1
order by side, model_key
limit 5
