-- What bounds the openness tiers of one release (docs/LICENSES.md): models a fuller source
-- could raise a tier, models whose tier rests on what is not checked, and models capped below
-- their own evidence by an ancestor. One row.
with

models as (
    select *, from models
),

unchecked as (
    -- models that declare a dataset no dataset listing of the day could check
    select distinct model_id,
    from model_datasets
    where status = 'unchecked'
),

final as (
    select
        -- open weights under a grant with use restrictions (community licences, RAIL,
        -- non-commercial terms): what "open weights" often means, and no more
        count(*) filter (
            where models.openness_tier = 'open_weights'
            and models.license_grant = 'restricted'
        ) as count_open_weights_restricted,
        -- open weights under OSI-approved terms whose training code the source cannot show:
        -- open source if it were shown (an ancestor capping the model is excluded: it decides)
        count(*) filter (
            where models.openness_tier = 'open_weights'
            and models.openness_tier_declared = 'open_weights'
            and models.license_osi_approved
            and models.has_training_code is null
        ) as count_code_unknown,
        -- open source whose training datasets are unknown or were not checked: open data if
        -- they were found open
        count(*) filter (
            where models.openness_tier = 'open_source'
            and models.openness_tier_declared = 'open_source'
            and (models.has_training_data is null or unchecked.model_id is not null)
        ) as count_data_unchecked,
        -- open data that rests on links to data outside the Hub, not checked
        count(*) filter (
            where models.openness_tier = 'open_data'
            and models.open_data_basis = 'external_documented'
        ) as count_data_external,
        -- open source or open data behind a manual access form, which a strict reading of
        -- OSAID's "without having to ask for permission" excludes
        count(*) filter (
            where models.openness_tier in ('open_source', 'open_data')
            and models.gated = 'manual'
        ) as count_open_gated_manual,
        count(*) filter (
            where openness_tier_rank(models.openness_tier)
            < openness_tier_rank(models.openness_tier_declared)
        ) as count_capped,
    from models
    left join unchecked
        on models.model_id = unchecked.model_id
)

select *, from final
