-- Models per license category in one release, largest first: one row per category.
with

models as (
    select *, from models
),

counted as (
    select
        -- no category is unknown (a record that shows neither tags nor card), not `none`
        coalesce(license_category, '(unknown)') as license_category,
        count(*) as count_models,
    from models
    group by all
),

final as (
    select
        license_category,
        count_models,
        count_models / sum(count_models) over () as share,
    from counted
)

select *, from final
order by count_models desc, license_category
