-- model_datasets on a day without a dataset listing (a replayed model listing, or a source
-- without datasets): every declared dataset is `unchecked`, so no model reaches open_data.
-- needs: variable staged_path
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
    null::varchar as dataset_id,
    null::varchar as dataset_hub_id,
    'unchecked' as status,
    null::varchar as license_category,
    false as is_open,
from named
order by model_id, position
