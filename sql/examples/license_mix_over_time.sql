-- How the license mix of the Hub moves from day to day: one row per snapshot date and license
-- category, over every published release (`models_history`, partitioned by date).
with

models as (
    select snapshot_date, license_category, from models_history
),

counted as (
    select
        snapshot_date,
        coalesce(license_category, 'none') as license_category,
        count(*) as count_models,
    from models
    group by all
),

final as (
    select
        snapshot_date,
        license_category,
        count_models,
        count_models / sum(count_models) over (partition by snapshot_date) as share,
    from counted
)

select *, from final
order by snapshot_date, count_models desc, license_category
