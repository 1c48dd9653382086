-- models: one row per model per snapshot date. The staged columns, the license and openness
-- columns, the lineage columns, and the openness tier capped so that no model is more open than
-- any of its ancestors. Not sorted here: the partition is written in the release's order
-- (pipeline.storage.write_release_form), so the wide rows are sorted once.
with

staged as (

    -- what staging says of each record's source is for the stages that read it, not a column of
    -- the release (by name, so that a partition staged before they existed reads the same)
    select columns(
        lambda c: c not in ('source_recording', 'source_has_cards', 'source_names_parents')
    ),
    from read_parquet($staged_path)

),

licenses as (

    select * exclude (snapshot_date), from read_parquet($licenses_path)

),

lineage as (

    select * exclude (snapshot_date, license_category),
    from read_parquet($lineage_path)

),

ancestry as (

    select model_id, ancestor_id, from read_parquet($ancestry_path)

),

ancestor_tiers as (

    select
        ancestry.model_id,
        min(openness_tier_rank(licenses.openness_tier)) as min_ancestor_tier_rank,
    from ancestry
    inner join licenses
        on licenses.model_id = ancestry.ancestor_id
    group by ancestry.model_id

),

joined as (

    select
        staged.*,
        licenses.* exclude (model_id, openness_tier),
        licenses.openness_tier as openness_tier_declared,
        -- a model whose own tier is unknown stays unknown (least() would take its ancestors')
        if(
            licenses.openness_tier is null,
            null,
            least(
                openness_tier_rank(licenses.openness_tier),
                ancestor_tiers.min_ancestor_tier_rank
            )
        ) as openness_tier_rank,
        lineage.* exclude (model_id),
    from staged
    left join licenses
        on licenses.model_id = staged.model_id
    left join lineage
        on lineage.model_id = staged.model_id
    left join ancestor_tiers
        on ancestor_tiers.model_id = staged.model_id

),

final as (

    select
        * exclude (openness_tier_rank),
        openness_tier_of_rank(openness_tier_rank) as openness_tier,
    from joined

)

-- the data basis is said only of a model whose own evidence reaches open_data: the licence
-- stage records it for every model with checked datasets, whatever its other tiers
select
    * replace (
        case when openness_tier_declared = 'open_data' then open_data_basis end as open_data_basis
    ),
from final
