-- creation-timeline input from every public model of the day, each counted once (+1) with the
-- size of its family: the whole timeline, for the first snapshot of a series or a day whose
-- previous timeline is missing
with

curr as (
    select *, from hist_joined
    where in_curr
),

family_sizes as (
    select
        family,
        count(*) as members,
    from curr
    group by family
)

select
    curr.created_at,
    curr.created_at_is_placeholder,
    curr.family,
    family_sizes.members as family_members,
    curr.license_category,
    curr.base_relation,
    1 as sign,
from curr
left join family_sizes using (family)
