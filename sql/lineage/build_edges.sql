-- One row per child and parent: the channels that support the edge, the canonical parent, how the
-- reference was resolved, the relation and where it came from.
-- Where tags and card disagree the Hub's tags win and the disagreement is listed.
create or replace temp table lin_edges as
with

refs as (
    select
        refs.child_id,
        refs.channel,
        refs.raw_ref,
        refs.tag_relation,
        refs.position,
        resolved.parent_id,
        lower(resolved.parent_id) as parent_key,
        resolved.parent_status,
        resolved.ref_fixes,
    from lin_refs as refs
    inner join lin_resolved as resolved
        on resolved.raw_ref = refs.raw_ref
),

tag_side as (
    select
        child_id,
        parent_key,
        min(parent_id) as parent_id,
        min(raw_ref) as tag_ref,
        -- one relation per parent; should the Hub ever give two, keep a stable one
        min(tag_relation) as tag_relation,
        bool_or(channel = 'tag') as has_plain_tag,
        bool_or(channel = 'relation_tag') as has_relation_tag,
        min(parent_status) as parent_status,
        any_value(ref_fixes) as ref_fixes,
    from refs
    where channel in ('tag', 'relation_tag')
    group by child_id, parent_key
),

card_side as (
    -- several card references to one parent: the first one listed speaks for the edge
    select
        child_id,
        parent_key,
        arg_min(
            {
                'parent_id': parent_id,
                'card_ref': raw_ref,
                'parent_status': parent_status,
                'ref_fixes': ref_fixes,
                'position': position,
            },
            position
        ) as first_ref,
    from refs
    where channel = 'card'
    group by child_id, parent_key
),

card_first as (
    select
        child_id,
        parent_key,
        unnest(first_ref),
    from card_side
),

unmatched_card as (
    -- an old id of a repo that is gone (lin_alias_seen) is a parent we know, not a reference we
    -- cannot find: it takes no part in pairing, so it cannot make another reference ambiguous
    select card_first.*
    from card_first
    anti join tag_side
        on tag_side.child_id = card_first.child_id
        and tag_side.parent_key = card_first.parent_key
    anti join lin_alias_seen
        on lin_alias_seen.alias_key = card_first.parent_key
    where card_first.parent_status = 'missing'
),

unmatched_tag as (
    select tag_side.*
    from tag_side
    anti join card_first
        on card_first.child_id = tag_side.child_id
        and card_first.parent_key = tag_side.parent_key
),

paired as (
    -- The card names a parent we cannot find and the Hub tags one the card does not name: when
    -- that is the only such pair, the tag is the Hub's resolution of what the author typed (an id
    -- renamed before any snapshot we hold).
    select
        unmatched_card.child_id,
        min(unmatched_card.parent_key) as card_key,
        min(unmatched_tag.parent_key) as tag_key,
    from unmatched_card
    inner join unmatched_tag
        on unmatched_tag.child_id = unmatched_card.child_id
    group by unmatched_card.child_id
    having count(*) = 1
),

card_rekeyed as (
    select
        card_first.* replace (coalesce(paired.tag_key, card_first.parent_key) as parent_key),
        paired.tag_key is not null as is_paired,
    from card_first
    left join paired
        on paired.child_id = card_first.child_id
        and paired.card_key = card_first.parent_key
),

joined as (
    select
        coalesce(tag_side.child_id, card_rekeyed.child_id) as child_id,
        coalesce(tag_side.parent_key, card_rekeyed.parent_key) as parent_key,
        coalesce(tag_side.parent_id, card_rekeyed.parent_id) as parent_id,
        coalesce(card_rekeyed.card_ref, tag_side.tag_ref) as parent_ref,
        tag_side.tag_relation,
        case
            when card_rekeyed.is_paired and tag_side.parent_status = 'missing' then 'missing'
            when card_rekeyed.is_paired then 'renamed'
            when card_rekeyed.child_id is not null
                and card_rekeyed.parent_status <> 'missing'
                then card_rekeyed.parent_status
            when tag_side.child_id is not null then tag_side.parent_status
            else card_rekeyed.parent_status
        end as resolution_status,
        list_sort(list_distinct(
            coalesce(card_rekeyed.ref_fixes, tag_side.ref_fixes, [])
            || case when card_rekeyed.is_paired then ['old_id'] else [] end
        )) as ref_fixes,
        list_filter(
            [
                case when card_rekeyed.child_id is not null then 'card' end,
                case when tag_side.has_relation_tag then 'relation_tag' end,
                case when tag_side.has_plain_tag then 'tag' end,
            ],
            lambda e: e is not null
        ) as evidence,
        coalesce(card_rekeyed.is_paired, false) as is_paired,
        tag_side.child_id is not null as has_tag,
        card_rekeyed.child_id is not null as has_card,
        card_rekeyed.position as card_position,
    from tag_side
    full outer join card_rekeyed
        on card_rekeyed.child_id = tag_side.child_id
        and card_rekeyed.parent_key = tag_side.parent_key
),

per_child as (
    select
        child_id,
        bool_or(has_tag) as child_has_tags,
        bool_or(has_card) as child_has_card,
        count(*) filter (where parent_key <> lower(child_id)) as n_declared_parents,
        -- the Hub gives one relation per model: it also stands for the edges it did not tag
        case
            when min(tag_relation) = max(tag_relation) then min(tag_relation)
        end as child_tag_relation,
    from joined
    group by child_id
),

with_child as (
    select
        joined.*,
        hints.stated_relation,
        hints.stated_relation_raw,
        hints.has_adapter_files,
        hints.is_quantized,
        hints.has_weight_files,
        hints.has_merge_tags,
        joined.parent_key = lower(joined.child_id) as is_self_loop,
        per_child.child_has_tags,
        per_child.child_has_card,
        per_child.n_declared_parents,
        per_child.child_tag_relation,
    from joined
    inner join per_child
        on per_child.child_id = joined.child_id
    inner join lin_child_hints as hints
        on hints.model_id = joined.child_id
),

related as (
    select
        *,
        case
            when has_adapter_files then 'adapter'
            when is_quantized then 'quantized'
            when has_merge_tags or n_declared_parents > 1 then 'merge'
            when has_weight_files then 'finetune'
            else 'unknown'
        end as inferred_relation,
    from with_child
),

final as (
    select
        ---------- ids
        child_id,
        parent_id,
        parent_ref,
        ---------- relation
        coalesce(tag_relation, stated_relation, child_tag_relation, inferred_relation)
            as relation,
        case
            when stated_relation is not null
                and (tag_relation is null or tag_relation = stated_relation)
                then 'explicit'
            when tag_relation is not null or child_tag_relation is not null then 'tag'
            else 'inferred'
        end as relation_source,
        tag_relation,
        stated_relation,
        ---------- resolution
        case when is_self_loop then 'self_loop' else resolution_status end as parent_status,
        ref_fixes,
        evidence,
        list_filter(
            [
                case when is_paired then 'card_ref_canonicalised_by_tag' end,
                case
                    when has_card and not has_tag and child_has_tags then 'card_ref_not_in_tags'
                end,
                case
                    when has_tag and not has_card and child_has_card then 'tag_not_in_card'
                end,
                case
                    when tag_relation is not null and stated_relation is not null
                        and tag_relation <> stated_relation
                        then 'stated_relation_differs_from_tag'
                end,
                case
                    when stated_relation is null and stated_relation_raw is not null
                        then 'stated_relation_not_recognised'
                end,
            ],
            lambda d: d is not null
        ) as disagreements,
        card_position,
    from related
)

select * from final
