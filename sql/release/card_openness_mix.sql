-- Models per openness tier in one release, most open first: one row per tier.
with

models as (
    select *, from models
),

counted as (
    select
        -- a model whose source says nothing of its files has no tier: unknown, not `none`
        coalesce(openness_tier, '(unknown)') as openness_tier,
        openness_tier_rank(openness_tier) as tier_rank,
        count(*) as count_models,
    from models
    group by all
),

final as (
    select
        openness_tier,
        tier_rank,
        count_models,
        count_models / sum(count_models) over () as share,
    from counted
)

select * exclude (tier_rank), from final
order by tier_rank desc nulls last
