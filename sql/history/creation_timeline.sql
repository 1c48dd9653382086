-- creation_timeline: models present on the snapshot date by the month they were created, overall and
-- by family, licence category and relation. The Hub stamps repos older than its creation dates with
-- createdAt 2022-03-02T23:29:04Z; those count as "before 2022-03-02", never as that day or month.
-- Counts are the signed models of `hist_timeline_input` (timeline_models.sql: every model;
-- timeline_changes.sql: the day's moves) added to `hist_timeline_base` (nothing, or the previous
-- snapshot's timeline).
with

input as (
    select * from hist_timeline_input
),

dated as (
    -- families of one model share a row, as in ecosystem_daily
    select
        case
            when created_at_is_placeholder then 'before 2022-03-02'
            when created_at is null then 'unknown'
            else strftime(created_at, '%Y-%m')
        end as created_period,
        case
            when not created_at_is_placeholder then date_trunc('month', created_at)::date
        end as period_start,
        case
            when family is null then '(unknown)'
            when family_members = 1 then '(single-model families)'
            else family
        end as family,
        -- unknown, not the category `none` (as in ecosystem_daily)
        coalesce(license_category, '(unknown)') as license_category,
        coalesce(base_relation, '(none)') as relation,
        sign,
    from input
),

grouped as (
    select
        created_period,
        any_value(period_start) as period_start,
        case
            when grouping(family) = 0 then 'family'
            when grouping(license_category) = 0 then 'license_category'
            when grouping(relation) = 0 then 'relation'
            else 'all'
        end as dimension,
        coalesce(family, license_category, relation, 'all') as value,
        sum(sign)::bigint as models,
    from dated
    group by grouping sets (
        (created_period),
        (created_period, family),
        (created_period, license_category),
        (created_period, relation),
    )
),

combined as (
    select * from grouped
    union all by name
    select * from hist_timeline_base
),

totals as (
    select
        created_period,
        any_value(period_start) as period_start,
        dimension,
        value,
        sum(models)::bigint as models,
    from combined
    group by created_period, dimension, value
    -- a row whose last model left is not part of the day's timeline
    having sum(models) <> 0
)

select
    $snapshot_date::date as snapshot_date,
    totals.*,
from totals
order by totals.dimension, totals.value, totals.created_period
