-- models public on both snapshots whose direct parents changed, compared as identities. A parent
-- named by an id is resolved to its _id on the same snapshot first, then on the other one, then
-- through the old ids the lineage stage keeps (hist_aliases): a parent renamed or deleted between
-- the snapshots is still the same parent, and so is one named by an id it gave up before it
-- went; a new model under a freed id is not. Only models of the day's delta whose parent names differ or name an id that
-- moved can have changed (delta_keys.sql), and only the ids they name are looked up. Hub ids
-- are case-insensitive: a card may spell a parent that no longer exists in another case.
with

suspects as (
    select
        model_key,
        base_models,
        prev_base_models,
    from hist_pairs
    where in_curr and in_prev
        and (base_models <> prev_base_models or names_moved_parent)
),

named as (
    select
        side,
        model_key,
        unnest(if(side = 'curr', base_models, prev_base_models)) as parent,
    from suspects
    cross join (values ('curr'), ('prev')) as sides (side)
),

refs as (
    select
        side,
        model_key,
        lower(parent) as parent,
    from named
),

parents as (
    select distinct parent as model_id from refs
),

names as (
    -- every listed model's id on each side, private ones included, from the joined snapshots
    select
        'curr' as side,
        lower(hist_joined.model_id) as model_id,
        min(model_key) as model_key,
    from hist_joined
    semi join parents on parents.model_id = lower(hist_joined.model_id)
    group by lower(hist_joined.model_id)
    union all
    select
        'prev' as side,
        lower(hist_joined.prev_model_id) as model_id,
        min(model_key) as model_key,
    from hist_joined
    semi join parents on parents.model_id = lower(hist_joined.prev_model_id)
    group by lower(hist_joined.prev_model_id)
),

resolved as (
    select
        refs.side,
        refs.model_key,
        list_sort(
            list(
                coalesce(
                    same.model_key,
                    other.model_key,
                    same_alias.model_key,
                    other_alias.model_key,
                    'id:' || refs.parent
                )
            )
        ) as parent_keys,
    from refs
    left join names as same
        on same.side = refs.side and same.model_id = refs.parent
    left join names as other
        on other.side <> refs.side and other.model_id = refs.parent
    left join hist_aliases as same_alias
        on same_alias.side = refs.side and same_alias.alias_key = refs.parent
    left join hist_aliases as other_alias
        on other_alias.side <> refs.side and other_alias.alias_key = refs.parent
    group by refs.side, refs.model_key
),

compared as (
    select
        suspects.model_key,
        coalesce(curr_keys.parent_keys, []::varchar[]) as parent_keys,
        coalesce(prev_keys.parent_keys, []::varchar[]) as prev_parent_keys,
    from suspects
    left join resolved as curr_keys
        on curr_keys.model_key = suspects.model_key and curr_keys.side = 'curr'
    left join resolved as prev_keys
        on prev_keys.model_key = suspects.model_key and prev_keys.side = 'prev'
)

select model_key from compared
where parent_keys <> prev_parent_keys
