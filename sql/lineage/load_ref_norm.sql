-- The normalised form of each reference that was not already a model id, computed by
-- pipeline.lineage.refs and bound as three parallel lists: raw reference, id, fixes applied.
create or replace temp table lin_ref_norm as
select
    unnest($raw_refs::varchar[]) as raw_ref,
    unnest($norm_ids::varchar[]) as norm_id,
    unnest($fixes::varchar[][]) as fixes,
