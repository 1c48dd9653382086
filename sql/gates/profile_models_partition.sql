-- One row: the figures the release gates compare from one day to the next.
with

models as (

    select *, from read_parquet($models_path)

),

profile as (

    select
        count(*) as n_models,
        count(*) - count(distinct model_id) as n_duplicate_ids,
        count(*) filter (where model_id is null) as n_null_model_id,
        count(*) filter (where hub_id is null) as n_null_hub_id,
        count(*) filter (where created_at is null) as n_null_created_at,
        count(*) filter (where author is null) as n_null_author,

    from models

)

select *, from profile
