-- model_datasets on a day without a dataset listing (a replayed model listing, or a source
-- without datasets): every declared dataset (the temp table declared_datasets) is `unchecked`, so
-- no model reaches open_data.
select
    snapshot_date,
    model_id,
    position,
    declared,
    null::varchar as dataset_id,
    null::varchar as dataset_hub_id,
    'unchecked' as status,
    null::varchar as license_category,
    false as is_open,
from declared_datasets
order by model_id, position
