-- One row per distinct reference: the canonical id it resolves to and how.
-- Input: lin_ref_norm (raw_ref, norm_id, fixes), written from pipeline.lineage.refs for the
-- references that were not already a model id.
create or replace temp table lin_resolved as
with

distinct_refs as (
    select distinct raw_ref, from lin_refs
),

normalized as (
    select
        distinct_refs.raw_ref,
        case
            when norm.raw_ref is null then distinct_refs.raw_ref
            else norm.norm_id
        end as norm_id,
        coalesce(norm.fixes, []::varchar[]) as fixes,
    from distinct_refs
    left join lin_ref_norm as norm
        on norm.raw_ref = distinct_refs.raw_ref
),

matched as (
    select
        normalized.*,
        current_models.model_id as current_id,
        renamed.model_id as renamed_to,
    from normalized
    left join lin_models as current_models
        on current_models.model_key = lower(normalized.norm_id)
    left join lin_alias_map as renamed
        on renamed.alias_key = lower(normalized.norm_id)
),

resolved as (
    select
        raw_ref,
        coalesce(current_id, renamed_to, norm_id, trim(raw_ref)) as parent_id,
        case
            when current_id is null and renamed_to is null then 'missing'
            when current_id is null then 'renamed'
            when list_contains(fixes, 'url') then 'url_fixed'
            when current_id <> norm_id then 'case_fixed'
            else 'resolved'
        end as parent_status,
        fixes
        || case when norm_id is null then ['not_an_id'] else [] end
        || case when current_id <> norm_id then ['case'] else [] end
        || case
            when current_id is null and renamed_to is not null then ['old_id']
            else []
        end as ref_fixes,
    from matched
)

select *, from resolved
