-- The largest model families in the latest release: one row per family, largest first.
-- A family is a root model and every model descending from it (`models.family`).
with

models as (
    select *, from models
),

families as (
    select
        family,
        count(*) as count_models,
        count(distinct author) as count_authors,
        max(lineage_depth) as max_lineage_depth,
        sum(downloads_30d) as sum_downloads_30d,
        count(distinct license_id) as count_licenses,
    from models
    where family is not null
    group by family
),

with_root as (
    select
        families.*,
        roots.license_id as root_license_id,
    from families
    left join models as roots
        on roots.model_id = families.family
)

select *, from with_root
order by count_models desc, family
limit 20
