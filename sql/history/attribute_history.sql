-- model_attribute_history as SCD type 2: one row per model and attribute version, valid on
-- [valid_from, valid_to) (valid_to null: still valid at the last snapshot read). $until (null: no
-- limit) drops versions that begin later; with $as_of_day set, only the versions valid on that
-- day are kept: the ecosystem as of that date.
with

versions as (
    select *, from read_parquet($history_paths, hive_partitioning = false)
    where $until::date is null or valid_from <= $until::date
),

bounded as (
    select
        *,
        lead(valid_from) over (partition by model_key order by valid_from) as valid_to,
    from versions
)

select
    model_key,
    hub_id,
    model_id,
    license_id,
    base_models,
    gated,
    pipeline_tag,
    library_name,
    valid_from,
    valid_to,
from bounded
where is_present
    and (
        $as_of_day::date is null
        or (valid_from <= $as_of_day::date and (valid_to is null or valid_to > $as_of_day::date))
    )
order by model_key, valid_from
