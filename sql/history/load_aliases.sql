-- one `lineage_aliases` partition ($path) as the aliases of one side ($side); `alias_key` is the
-- lower-cased id, as the Hub resolves ids
insert into hist_aliases
select
    $side as side,
    lower(alias_key) as alias_key,
    min(hub_id) as model_key,
from read_parquet($path, hive_partitioning = false)
where hub_id is not null
group by lower(alias_key)
