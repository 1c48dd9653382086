-- which of the source fields history's comparisons need a `models` partition's source carried,
-- read from the partition itself: a field absent from a whole source leaves its column null on
-- every row, which a full source never does (every item has `_id` and `gated`; parentless models
-- have an empty parent list, not a null one). Bound: $path.
select
    count(hub_id) > 0 as has_id,
    count(base_models) > 0 as has_card_data,
    count(gated) > 0 as has_gated,
from read_parquet($path, hive_partitioning = false)
