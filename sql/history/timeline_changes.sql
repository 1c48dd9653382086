-- creation-timeline input for a day built on the previous snapshot's timeline: the models whose
-- count moved, each taken out under its previous values (-1) and put back under its new ones
-- (+1). Those are the day's delta (hist_pairs, which covers every change of presence, creation
-- time, family, licence category and relation) and the unchanged members of a family that became
-- or stopped being a single-model family, whose family label alone moved.
with

pairs as (
    select *, from hist_pairs
),

touched_families as (
    select family, from pairs
    where in_curr and family is not null
    union
    select prev_family as family, from pairs
    where in_prev and prev_family is not null
),

touched_curr as materialized (
    select
        model_key,
        created_at,
        created_at_is_placeholder,
        family,
        license_category,
        base_relation,
    from hist_joined
    semi join touched_families using (family)
    where in_curr
),

curr_sizes as (
    select
        family,
        count(*) as members,
    from touched_curr
    group by family
),

prev_sizes as (
    select
        family,
        count(*) as members,
    from hist_prev
    semi join touched_families using (family)
    where is_public
    group by family
),

sizes as (
    select
        family,
        coalesce(curr_sizes.members, 0) as curr_members,
        coalesce(prev_sizes.members, 0) as prev_members,
    from touched_families
    left join curr_sizes using (family)
    left join prev_sizes using (family)
),

relabelled as (
    -- outside the delta, so public on both days with the same values
    select
        touched_curr.*,
        sizes.curr_members,
        sizes.prev_members,
    from touched_curr
    inner join sizes using (family)
    anti join pairs using (model_key)
    where (sizes.curr_members = 1) <> (sizes.prev_members = 1)
),

contributions as (
    select
        pairs.created_at,
        pairs.created_at_is_placeholder,
        pairs.family,
        sizes.curr_members as family_members,
        pairs.license_category,
        pairs.base_relation,
        1 as sign,
    from pairs
    left join sizes using (family)
    where pairs.in_curr
    union all
    select
        pairs.prev_created_at,
        pairs.prev_created_at_is_placeholder,
        pairs.prev_family,
        sizes.prev_members,
        pairs.prev_license_category,
        pairs.prev_base_relation,
        -1,
    from pairs
    left join sizes on sizes.family = pairs.prev_family
    where pairs.in_prev
    union all
    select
        created_at,
        created_at_is_placeholder,
        family,
        curr_members,
        license_category,
        base_relation,
        1,
    from relabelled
    union all
    select
        created_at,
        created_at_is_placeholder,
        family,
        prev_members,
        license_category,
        base_relation,
        -1,
    from relabelled
)

select
    created_at,
    created_at_is_placeholder,
    family,
    family_members,
    license_category,
    base_relation,
    sign,
from contributions
