-- model_lineage: one row per model and snapshot date.
with

edges as (
    select * from lin_edges
),

dag as (
    select * from edges
    where is_walked
),

direct as (
    select
        child_id as model_id,
        list_sort(list(parent_id) filter (where parent_status <> 'self_loop')) as base_models,
        -- a model's relation to its bases: the strongest stated one (tag or card), and the
        -- strongest inferred one only when nothing is stated
        coalesce(
            case
                when bool_or(relation = 'merge' and relation_source <> 'inferred') then 'merge'
                when bool_or(relation = 'adapter' and relation_source <> 'inferred') then 'adapter'
                when bool_or(relation = 'quantized' and relation_source <> 'inferred')
                    then 'quantized'
                when bool_or(relation = 'finetune' and relation_source <> 'inferred')
                    then 'finetune'
            end,
            case
                when bool_or(relation = 'merge') then 'merge'
                when bool_or(relation = 'adapter') then 'adapter'
                when bool_or(relation = 'quantized') then 'quantized'
                when bool_or(relation = 'finetune') then 'finetune'
                else 'unknown'
            end
        ) as base_relation,
        count(*) filter (where parent_status <> 'self_loop') as n_declared_parents,
        count(*) filter (where is_walked) as n_resolved_parents,
        count(*) filter (where parent_status = 'missing') as n_missing_parents,
        bool_or(parent_status = 'self_loop') as has_self_loop,
        bool_or(parent_status = 'cycle') as is_on_cycle,
    from edges
    group by child_id
),

children as (
    select
        parent_id as model_id,
        count(*) as n_children,
    from dag
    group by parent_id
),

descendants as (
    select
        ancestor_id as model_id,
        count(*) as n_descendants,
    from lin_ancestry
    group by ancestor_id
),

roots_of as (
    select
        ancestry.model_id,
        list_sort(list(ancestry.ancestor_id) filter (where ancestry.is_root)) as root_models,
        max(ancestry.max_distance) as lineage_depth,
        -- a merge is counted in the largest family it descends from (ties: smallest id)
        arg_min(
            ancestry.ancestor_id,
            {
                'minus_descendants': -coalesce(descendants.n_descendants, 0),
                'root_id': ancestry.ancestor_id,
            }
        ) filter (where ancestry.is_root) as family,
        count(*) as n_ancestors,
        count(*) filter (where ancestry.is_root) as n_roots,
    from lin_ancestry as ancestry
    left join descendants
        on descendants.model_id = ancestry.ancestor_id
    group by ancestry.model_id
),

ancestor_license as (
    -- the most restrictive licence an ancestor declares: an ancestor without one adds nothing
    -- (no licence is no grant, not a stricter term that would hide the others)
    select
        ancestry.model_id,
        max(licenses.restrictiveness_rank) as max_rank,
    from lin_ancestry as ancestry
    inner join lin_licenses as licenses
        on licenses.model_id = ancestry.ancestor_id
    where licenses.license_category <> 'none'
    group by ancestry.model_id
),

facts as (
    -- everything known about the models that take part in any edge, joined once; the other
    -- models (most of the Hub) get the defaults of a lone root below
    select
        coalesce(
            direct.model_id, roots_of.model_id, children.model_id, descendants.model_id
        ) as model_id,
        direct.base_models,
        direct.base_relation,
        direct.n_declared_parents,
        direct.n_resolved_parents,
        direct.n_missing_parents,
        direct.has_self_loop,
        direct.is_on_cycle,
        roots_of.root_models,
        roots_of.lineage_depth,
        roots_of.family,
        roots_of.n_ancestors,
        roots_of.n_roots,
        roots_of.model_id is not null as has_ancestors,
        children.n_children,
        descendants.n_descendants,
        ancestor_license.max_rank as ancestor_max_rank,
    from direct
    full outer join roots_of
        on roots_of.model_id = direct.model_id
    full outer join children
        on children.model_id = coalesce(direct.model_id, roots_of.model_id)
    full outer join descendants
        on descendants.model_id
        = coalesce(direct.model_id, roots_of.model_id, children.model_id)
    left join ancestor_license
        on ancestor_license.model_id = roots_of.model_id
),

day as (
    -- a day none of whose records can name parents (a 2022 listing) cannot name children either
    select bool_or(parents_shown) as names_parents,
    from lin_models
),

joined as (
    select
        $snapshot_date::date as snapshot_date,
        ---------- ids
        models.model_id,
        ---------- direct parents
        -- a record that cannot name its parents (lin_models.parents_shown) lists none, yet the
        -- model may have some: its parents, relation and ancestry are null, not a root's values
        if(models.parents_shown, coalesce(facts.base_models, []), null) as base_models,
        facts.base_relation,
        if(models.parents_shown, coalesce(facts.n_declared_parents, 0), null)
            as n_declared_parents,
        if(models.parents_shown, coalesce(facts.n_resolved_parents, 0), null)
            as n_resolved_parents,
        if(models.parents_shown, coalesce(facts.n_missing_parents, 0), null)
            as n_missing_parents,
        ---------- ancestry
        if(models.parents_shown, coalesce(facts.root_models, [models.model_id]), null)
            as root_models,
        if(models.parents_shown, coalesce(facts.lineage_depth, 0), null) as lineage_depth,
        -- such a model still heads the family of the models that name it as a parent
        case
            when models.parents_shown then coalesce(facts.family, models.model_id)
            when facts.n_descendants > 0 then models.model_id
        end as family,
        if(models.parents_shown, coalesce(facts.n_ancestors, 0), null) as n_ancestors,
        if(models.parents_shown, coalesce(facts.n_roots, 1), null) as n_roots,
        if(models.parents_shown, not coalesce(facts.has_ancestors, false), null) as is_root,
        ---------- descendants
        if(day.names_parents, coalesce(facts.n_children, 0), null) as n_children,
        if(day.names_parents, coalesce(facts.n_descendants, 0), null) as n_descendants,
        ---------- flags
        if(models.parents_shown, coalesce(facts.has_self_loop, false), null) as has_self_loop,
        if(models.parents_shown, coalesce(facts.is_on_cycle, false), null) as is_on_cycle,
        ---------- licenses
        licenses.license_category,
        -- a model's own licence counts unless it declares none; a model without one inherits its
        -- ancestors' terms; `none` only when neither it nor any ancestor declares a licence. A
        -- model whose declaration is unknown (a record without tags or card) may have terms
        -- stricter than its ancestors', or none: its effective terms are unknown too
        if(
            licenses.license_category is null,
            null,
            coalesce(
                greatest(
                    if(licenses.license_category <> 'none', licenses.restrictiveness_rank, null),
                    facts.ancestor_max_rank
                ),
                licenses.restrictiveness_rank
            )
        ) as effective_rank,
        case
            when licenses.license_category is null then null
            when licenses.license_category <> 'none'
                and licenses.restrictiveness_rank >= coalesce(facts.ancestor_max_rank, 0)
                then 'own'
            when facts.ancestor_max_rank is not null then 'inherited'
            else 'none'
        end as effective_license_source,
    from lin_models as models
    cross join day
    left join facts
        on facts.model_id = models.model_id
    left join lin_licenses as licenses
        on licenses.model_id = models.model_id
),

final as (
    select
        joined.* exclude (effective_rank, effective_license_source),
        ranks.category as effective_license_category,
        joined.effective_license_source,
    from joined
    left join lin_license_rank as ranks
        on ranks.restrictiveness_rank = joined.effective_rank
)

select * from final

