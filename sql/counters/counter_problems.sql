-- why a counter file cannot be folded, each problem with its rows and the first of them: rows
-- without a model id or a date, ids unsafe as a key, dates outside the census's range, counters
-- that are not counts, repeated model-days (a row is counted under each problem it has)
with

numbered as (
    select
        *,
        -- the first value that is not a count, named by its column
        case
            when downloads_text is not null and downloads_30d is null
                then 'downloads ' || downloads_text
            when downloads_all_time_text is not null and downloads_all_time is null
                then 'downloads_all_time ' || downloads_all_time_text
            when likes_text is not null and likes is null then 'likes ' || likes_text
        end as bad_value,
        row_number() over () as row_number,
    from counter_new
),

problems as (
    select 1 as ordinal, 'rows without a model id or a readable date' as problem, *,
    from numbered
    where model_id is null or model_id = '' or date is null
    union all
    select 2 as ordinal, 'rows whose model id is not a Hub id' as problem, *,
    from numbered
    where model_id <> '' and unsafe_model_id(model_id)
    union all
    select
        3 as ordinal,
        'rows dated before ' || $first_date::varchar || ' or after today' as problem,
        *,
    from numbered
    where date < $first_date or date > $today
    union all
    select 4 as ordinal, 'rows whose counters are not whole numbers from 0 up' as problem, *,
    from numbered
    where bad_value is not null
),

repeated as (
    select
        model_id,
        date,
    from counter_new
    where model_id is not null and date is not null
    group by all
    having count(*) > 1
),

found as (
    select
        ordinal,
        problem,
        count(*) as n,
        -- the first such row (row_number is unique: the three come from one row)
        arg_min(model_id, row_number) as first_model_id,
        arg_min(date_text, row_number) as first_date,
        arg_min(if(ordinal = 4, bad_value, null), row_number) as first_value,
    from problems
    group by ordinal, problem
    union all
    select
        5 as ordinal,
        'model-days given more than once' as problem,
        count(*) as n,
        arg_min(model_id, (model_id, date)) as first_model_id,
        arg_min(date::varchar, (model_id, date)) as first_date,
        null as first_value,
    from repeated
    having count(*) > 0
)

select
    problem,
    n,
    first_model_id,
    first_date,
    first_value,
from found
order by ordinal
