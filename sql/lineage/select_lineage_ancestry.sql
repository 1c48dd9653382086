-- lineage_ancestry: one row per model, ancestor and snapshot date.
select
    $snapshot_date::date as snapshot_date,
    model_id,
    ancestor_id,
    distance,
    max_distance,
    is_root,
from lin_ancestry
