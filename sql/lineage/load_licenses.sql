-- One row per model: its declared license category (the most restrictive when it has several)
-- and whether its file list holds a license file (null when the source gave no file list).
-- Input: $licenses_path, the day's model_licenses partition.
create or replace temp table lin_licenses as
with

licenses as (
    select
        model_id,
        license_category,
        has_license_file,
    from read_parquet($licenses_path)
),

ranked as (
    select
        licenses.model_id,
        arg_max(
            licenses.license_category, coalesce(ranks.restrictiveness_rank, 8)
        ) as license_category,
        max(coalesce(ranks.restrictiveness_rank, 8)) as restrictiveness_rank,
        bool_or(licenses.has_license_file) as has_license_file,
    from licenses
    left join lin_license_rank as ranks
        on ranks.category = licenses.license_category
    group by licenses.model_id
)

select *, from ranked
