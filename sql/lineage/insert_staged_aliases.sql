-- The ids of the earlier models_staged partitions not yet folded into a lineage_aliases
-- partition ($alias_sources).
insert into lin_alias_seen
select
    lower(model_id) as alias_key,
    hub_id,
    max(snapshot_date) as last_seen_date,
    arg_max(model_id, snapshot_date) as alias_id,
from read_parquet($alias_sources, hive_partitioning = false)
where model_id is not null and hub_id is not null
group by all
