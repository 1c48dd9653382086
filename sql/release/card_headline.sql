-- Headline figures of one release, for its card: one row.
with

models as (
    select *, from models
),

final as (
    select
        count(*) as count_models,
        count(distinct author) as count_authors,
        count(*) filter (where len(base_models) > 0) as count_with_base_model,
        -- null parents: the record cannot name them (docs/LINEAGE.md), unknown rather than none
        count(base_models) as count_lineage_known,
        count(distinct family) filter (where n_descendants > 0) as count_families_with_descendants,
        coalesce(max(lineage_depth), 0) as max_lineage_depth,
        -- `unknown-other` is a declaration no rule could read (`other` without a known name,
        -- unresolved names, family ids): declared, but not a recognised licence
        count(*) filter (
            where license_id is not null and license_category not in ('unknown-other', 'none')
        ) as count_with_known_license,
        count(*) filter (where license_category = 'unknown-other') as count_unreadable_license,
        count(*) filter (where license_category = 'none') as count_without_license,
        -- no category: a record that shows neither tags nor card (an `expand` answer)
        count(*) filter (where license_category is null) as count_unknown_license,
        -- a card that is not an object (a YAML card the reader refused, other text): what it
        -- names is unknown, and readers should know how many such cards there are
        count(*) filter (
            where card_data is not null and not starts_with(card_data::varchar, '{')
        ) as count_card_as_text,
        count(*) filter (where created_at_is_placeholder) as count_placeholder_created_at,
        count(*) filter (where gated in ('auto', 'manual')) as count_gated,
        -- a source without the field (a dump, an old listing) says nothing: unknown, not 0
        count(gated) as count_gated_known,
        sum(downloads_30d) as sum_downloads_30d,
        count(downloads_30d) as count_downloads_known,
    from models
)

select *, from final
