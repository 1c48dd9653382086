-- declared_datasets: the training datasets each model of the day declares (`cardData.datasets`,
-- then `dataset:` tags), each name once (compared ignoring case, the first spelling kept), with
-- its position in the declaration. Both model_datasets statements (with and without a dataset
-- listing) read it.
create or replace temp table declared_datasets as
with

declared as (
    select
        model_id,
        snapshot_date,
        trim(unnest(names)) as declared,
        generate_subscripts(names, 1) as ordinal,
    from (
        select
            model_id,
            snapshot_date,
            coalesce(card_datasets, [])
            || list_transform(
                list_filter(coalesce(tags, []), lambda t: starts_with(t, 'dataset:')),
                lambda t: t[9:]
            ) as names,
        from read_parquet($staged_path)
    )
),

named as (
    select *,
    from declared
    where declared <> ''
    qualify row_number() over (partition by model_id, lower(declared) order by ordinal) = 1
)

select
    snapshot_date,
    model_id,
    row_number() over (partition by model_id order by ordinal)::integer as position,
    declared,
from named
