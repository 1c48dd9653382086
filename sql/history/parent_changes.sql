-- models public on both snapshots whose direct parents changed, compared as identities. A parent
-- named by an id is resolved to its _id on the same snapshot first, then on the other one: a
-- parent renamed or deleted between the snapshots is still the same parent, a new model under a
-- freed id is not. Only suspects are resolved: models whose parent names differ, or that name
-- an id whose owner differs between the two snapshots.
with

names as (
    select
        side,
        model_id,
        min(model_key) as model_key,
    from hist_loaded
    group by side, model_id
),

moved_names as (
    -- on one side only (added, removed, renamed) or owned by different models on the two sides
    select model_id,
    from names
    group by model_id
    having count(*) = 1 or min(model_key) <> max(model_key)
),

kept as (
    select
        model_key,
        base_models,
        prev_base_models,
    from hist_pairs
    where in_curr and in_prev
        and (len(base_models) > 0 or len(prev_base_models) > 0)
),

named_parents as (
    select
        model_key,
        unnest(base_models || prev_base_models) as parent,
    from kept
),

suspects as (
    select model_key from kept
    where base_models <> prev_base_models
    union
    select model_key from named_parents
    semi join moved_names on moved_names.model_id = named_parents.parent
),

refs as (
    select
        side,
        model_key,
        unnest(if(side = 'curr', base_models, prev_base_models)) as parent,
    from kept
    semi join suspects using (model_key)
    cross join (values ('curr'), ('prev')) as sides (side)
),

resolved as (
    select
        refs.side,
        refs.model_key,
        list_sort(list(coalesce(same.model_key, other.model_key, 'id:' || refs.parent)))
            as parent_keys,
    from refs
    left join names as same
        on same.side = refs.side and same.model_id = refs.parent
    left join names as other
        on other.side <> refs.side and other.model_id = refs.parent
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
