-- model_changes: one row per model, change and snapshot date, comparing the day's models with the
-- previous snapshot's (the pairs of the day's delta, pair_snapshots.sql). The first snapshot of a
-- series has one `baseline` row per model instead. An attribute whose source field either
-- snapshot's source lacked is unknown there, not changed (variables compare_license,
-- compare_base, compare_gated; docs/HISTORY.md, "Across eras").
-- Not sorted here: the partition is written in the release's order
-- (pipeline.storage.write_release_form), so the rows are sorted once.
with

pairs as (
    select *, from hist_pairs
),

run as (
    select
        $snapshot_date::date as snapshot_date,
        $previous_snapshot_date::date as previous_snapshot_date,
        $previous_snapshot_date is null as is_baseline,
),

kept as (
    select
        *,
        -- licence and parents come from the tags and the card: a record that shows neither
        -- (no licence category) says nothing of them that day, so they are not compared
        prev_license_category is not null and license_category is not null as declarations_shown,
        -- lineage writes parents a record cannot name as null (schema 1.4.2): a record may show
        -- its licence in its tags and still not its parents (no card, no base_model: tags)
        not parents_unknown and not prev_parents_unknown as parents_shown,
    from pairs
    where in_curr and in_prev
),

baseline as (
    select
        hub_id,
        model_id,
        'baseline' as change,
        null::varchar as old_value,
        model_id as new_value,
    from hist_curr
    where is_public and (select is_baseline, from run)
),

added as (
    select
        hub_id,
        model_id,
        'added' as change,
        null::varchar as old_value,
        model_id as new_value,
    from pairs
    where in_curr and not in_prev and not (select is_baseline, from run)
),

removed as (
    select
        prev_hub_id as hub_id,
        prev_model_id as model_id,
        'removed' as change,
        prev_model_id as old_value,
        null::varchar as new_value,
    from pairs
    where in_prev and not in_curr
),

renamed as (
    select
        hub_id,
        model_id,
        'renamed' as change,
        prev_model_id as old_value,
        model_id as new_value,
    from kept
    where prev_model_id <> model_id
),

license_changed as (
    select
        hub_id,
        model_id,
        'license_changed' as change,
        prev_license_id as old_value,
        license_id as new_value,
    from kept
    where prev_license_id is distinct from license_id and $compare_license and declarations_shown
),

base_changed as (
    -- parents compared as identities (parent_changes.sql): a parent's rename is no change
    select
        hub_id,
        model_id,
        'base_changed' as change,
        to_json(prev_base_models)::varchar as old_value,
        to_json(base_models)::varchar as new_value,
    from kept
    semi join hist_parent_changes using (model_key)
    where $compare_base and declarations_shown and parents_shown
),

gated_changed as (
    select
        hub_id,
        model_id,
        'gated_changed' as change,
        prev_gated as old_value,
        gated as new_value,
    from kept
    where prev_gated is distinct from gated and $compare_gated
),

pipeline_tag_changed as (
    select
        hub_id,
        model_id,
        'pipeline_tag_changed' as change,
        prev_pipeline_tag as old_value,
        pipeline_tag as new_value,
    from kept
    where prev_pipeline_tag is distinct from pipeline_tag
),

library_changed as (
    select
        hub_id,
        model_id,
        'library_changed' as change,
        prev_library_name as old_value,
        library_name as new_value,
    from kept
    where prev_library_name is distinct from library_name
),

changes as (
    select *, from baseline
    union all
    select *, from added
    union all
    select *, from removed
    union all
    select *, from renamed
    union all
    select *, from license_changed
    union all
    select *, from base_changed
    union all
    select *, from gated_changed
    union all
    select *, from pipeline_tag_changed
    union all
    select *, from library_changed
)

select
    run.snapshot_date,
    changes.model_id,
    changes.hub_id,
    changes.change,
    changes.old_value::varchar as old_value,
    changes.new_value::varchar as new_value,
    run.previous_snapshot_date,
    (run.snapshot_date - run.previous_snapshot_date)::integer as days_since_previous,
from changes
cross join run
