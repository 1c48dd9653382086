-- datasets: one row per public dataset listed that day, with its normalised licence.
-- needs: temp tables dataset_records and license_map, variable snapshot_date
select
    $snapshot_date::date as snapshot_date,
    records.dataset_id,
    records.hub_id,
    coalesce(
        records.author,
        if(contains(records.dataset_id, '/'), split_part(records.dataset_id, '/', 1), null)
    ) as author,
    license_map.license_raw,
    license_map.license_ids,
    license_map.license_id,
    license_map.license_category,
    license_grant(license_map.license_category) as license_grant,
    records.gated,
    records.downloads,
    records.likes,
    records.created_at::timestamp as created_at,
    records.last_modified::timestamp as last_modified,
    records.is_disabled,
from dataset_records as records
left join license_map
    on records.license_tags is not distinct from license_map.license_tags
    and records.card_license is not distinct from license_map.card_license
    and records.card_license_name is not distinct from license_map.card_license_name
    and records.card_license_link is not distinct from license_map.card_license_link
where not records.is_private
    and records.dataset_id is not null
    and records.hub_id is not null
-- a dataset listed twice (a listing that moved under the cursor) is one row
qualify row_number() over (partition by lower(records.dataset_id) order by records.hub_id) = 1
order by records.dataset_id
