-- the public members of the given families on one snapshot, with what a family page shows
select
    family,
    model_id,
    base_models,
    coalesce(base_relation, 'root') as relation,
    license_id,
    license_category,
    openness_tier,
    coalesce(gated, 'no') as gated,
    -- null: the source has no count for the model (an `expand` answer), not 0
    downloads_30d,
from read_parquet($path, hive_partitioning = false)
where not coalesce(is_private, false) and family in (select unnest($families))
order by family, downloads_30d desc nulls last, model_id
