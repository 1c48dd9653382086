-- Old id -> current id of the same repo (same `_id`).
create or replace temp table lin_alias_map as
with

to_current as (
    select
        old_ids.alias_key,
        current_models.model_id,
    from lin_alias_seen as old_ids
    inner join lin_models as current_models
        on current_models.hub_id = old_ids.hub_id
    -- an old id later reused by another repo: the repo that held it last wins
    qualify row_number() over (
        partition by old_ids.alias_key
        order by old_ids.last_seen_date desc, current_models.model_id
    ) = 1
)

select *, from to_current
