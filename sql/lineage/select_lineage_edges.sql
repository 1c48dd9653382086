-- lineage_edges: one row per child, parent and snapshot date.
-- Not sorted here: the partition is written in the release's order
-- (pipeline.storage.write_release_form), so the rows are sorted once.
with

edges as (
    select *, from lin_edges
),

with_licenses as (
    select
        edges.*,
        child_license.license_category as child_license_category,
        child_license.restrictiveness_rank as child_rank,
        parent_license.license_category as parent_license_category,
        parent_license.restrictiveness_rank as parent_rank,
        child_license.has_license_file as child_has_license_file,
        parent_license.has_license_file as parent_has_license_file,
    from edges
    left join lin_licenses as child_license
        on child_license.model_id = edges.child_id
    left join lin_licenses as parent_license
        on parent_license.model_id = edges.parent_id
),

checked as (
    select
        *,
        case
            when parent_status in ('missing', 'self_loop') then 'unknown'
            when child_license_category is null or parent_license_category is null
                then 'unknown'
            -- a parent without a licence grants nothing to compare with: not a relicensing
            when parent_license_category = 'none' then 'parent_unlicensed'
            when 'unknown-other' in (child_license_category, parent_license_category)
                then 'unknown'
            when child_license_category = 'none' then 'dropped'
            when child_rank < parent_rank then 'relicensed_permissive'
            else 'consistent'
        end as license_check,
    from with_licenses
),

final as (
    select
        $snapshot_date::date as snapshot_date,
        ---------- ids
        child_id,
        parent_id,
        parent_ref,
        ---------- relation
        relation,
        relation_source,
        tag_relation,
        stated_relation,
        ---------- resolution and evidence
        parent_status,
        evidence,
        ref_fixes,
        disagreements,
        card_position,
        is_walked,
        ---------- licenses
        license_check,
        child_license_category,
        parent_license_category,
        child_has_license_file,
        parent_has_license_file,
    from checked
)

select *, from final
