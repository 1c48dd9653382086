-- the models whose change rows, attribute versions, removal facts or creation-timeline counts a day
-- needs: those on one snapshot only, made private or public, or whose tracked attributes or
-- timeline attributes differ, plus those naming as a parent an id that moved (its owner may
-- differ between the snapshots; `names_moved_parent`). Everything else is the same on both days
-- and is read straight from `hist_joined`. The first snapshot of a series is compared with
-- nothing: no keys (its baseline rows come from the snapshot itself).
with

changed as materialized (
    select
        model_key,
        model_id,
        prev_model_id,
    from hist_joined
    where is_changed and $previous_snapshot_date is not null
),

moved_names as (
    -- ids on one side only or owned by different models on the two sides (compared as the Hub
    -- resolves them, ignoring case)
    select lower(model_id) as model_id, from changed
    where model_id is distinct from prev_model_id and model_id is not null
    union
    select lower(prev_model_id) as model_id, from changed
    where model_id is distinct from prev_model_id and prev_model_id is not null
),

named_parents as (
    -- D's parents only: a model outside `changed` names the same parents on both snapshots
    select
        model_key,
        unnest(base_models) as parent,
    from hist_joined
    where len(base_models) > 0
),

naming_moved as (
    select model_key, from named_parents
    semi join moved_names on moved_names.model_id = lower(named_parents.parent)
),

flagged as (
    select
        model_key,
        false as names_moved_parent,
    from changed
    union all
    select
        model_key,
        true as names_moved_parent,
    from naming_moved
)

select
    model_key,
    bool_or(names_moved_parent) as names_moved_parent,
from flagged
group by model_key
