-- model_datasets: one row per model per declared training dataset (`cardData.datasets`, then
-- `dataset:` tags; each name once: the temp table declared_datasets), resolved against the day's
-- dataset listing. Bound: $datasets_path, $dataset_history (every datasets partition up to this
-- day, this day's included)
with

named as (
    select
        *,
        regexp_matches(declared, '^(?i)https?://') as is_url,
        -- a link to a Hub dataset page names that dataset
        nullif(regexp_extract(
            declared, '^(?i)https?://(?:www\.)?huggingface\.co/datasets/([^/?#]+(?:/[^/?#]+)?)', 1
        ), '') as hub_link_id,
    from declared_datasets
),

keyed as (
    select
        *,
        lower(if(is_url, hub_link_id, declared)) as lookup_key,
    from named
),

today as (
    select lower(dataset_id) as dataset_key, dataset_id, hub_id, license_category, license_grant, gated,
    from read_parquet($datasets_path)
),

-- old ids of renamed datasets: an id seen on any day, paired with its stable `_id`
aliases as (
    select distinct lower(dataset_id) as alias_key, hub_id,
    from read_parquet($dataset_history)
),

renamed as (
    select aliases.alias_key, today.*,
    from aliases
    inner join today
        using (hub_id)
    where aliases.alias_key <> today.dataset_key
    qualify row_number() over (partition by aliases.alias_key order by today.dataset_id) = 1
)

select
    keyed.snapshot_date,
    keyed.model_id,
    keyed.position,
    keyed.declared,
    coalesce(today.dataset_id, renamed.dataset_id) as dataset_id,
    coalesce(today.hub_id, renamed.hub_id) as dataset_hub_id,
    case
        when keyed.is_url and keyed.hub_link_id is null then 'external'
        when coalesce(today.gated, renamed.gated, 'no') <> 'no' then 'gated'
        when today.dataset_id is not null then 'resolved'
        when renamed.dataset_id is not null then 'renamed'
        else 'missing'
    end as status,
    coalesce(today.license_category, renamed.license_category) as license_category,
    -- public (listed, not gated) under a licence that grants use without restrictions
    coalesce(
        coalesce(today.gated, renamed.gated) = 'no'
        and coalesce(today.license_grant, renamed.license_grant) = 'open',
        false
    ) as is_open,
from keyed
left join today
    on today.dataset_key = keyed.lookup_key
left join renamed
    on renamed.alias_key = keyed.lookup_key
    and today.dataset_key is null
order by keyed.model_id, keyed.position
