-- why a counter file cannot be folded: rows without a model id or a date, repeated model-days
select 'rows without a model id or a readable date' as problem, count(*) as n,
from counter_new
where model_id is null or model_id = '' or date is null
having count(*) > 0
union all
select 'model-days given more than once' as problem, count(*) as n,
from (
    select model_id, date,
    from counter_new
    where model_id is not null and date is not null
    group by all
    having count(*) > 1
)
having count(*) > 0
