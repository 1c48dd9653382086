-- Ids seen on earlier days that no model of the day answers to, with the repo (`_id`) that held
-- them: the old ids of renamed repos (and the ids of repos since deleted or made private).
create or replace temp table lin_alias_seen as
with

not_current as (
    select seen.*,
    from lin_alias_seen as seen
    anti join lin_models as current_models
        on current_models.model_key = seen.alias_key
),

final as (
    select
        alias_key,
        hub_id,
        max(last_seen_date) as last_seen_date,
        arg_max(alias_id, last_seen_date) as alias_id,
    from not_current
    group by alias_key, hub_id
)

select *, from final
