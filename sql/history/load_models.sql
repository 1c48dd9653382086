-- the columns history reads from one `models` partition, keyed by the Hub's stable _id, tagged with
-- its side of the comparison ('curr' or 'prev'). A private model is not part of the public census
-- (it counts as gone) but its id still names a parent.
with

models as (
    select * from read_parquet(getvariable('models_path'), hive_partitioning = false)
),

keyed as (
    select
        getvariable('side') as side,
        not coalesce(is_private, false) as is_public,
        -- _id survives renames; a row without one can only be followed by its id
        coalesce(hub_id, 'id:' || model_id) as model_key,
        hub_id,
        model_id,
        created_at,
        coalesce(created_at_is_placeholder, false)
            or created_at = timestamp '2022-03-02 23:29:04' as created_at_is_placeholder,
        downloads_30d,
        downloads_all_time,
        likes,
        pipeline_tag,
        library_name,
        gated,
        license_id,
        license_category,
        openness_tier,
        -- parents are a set: a reordered list is not a change of parents
        list_sort(coalesce(base_models, []::varchar[])) as base_models,
        base_relation,
        family,
    from models
)

select * from keyed
