-- One row per model of the snapshot: the ids references resolve against.
-- Input: $staged_path, the day's models_staged partition (one row per id:
-- staging quarantines duplicate ids, compared case-insensitively as the Hub does).
create or replace temp table lin_models as
select
    model_id,
    lower(model_id) as model_key,
    hub_id,
    created_at,
from read_parquet($staged_path)
where model_id is not null
