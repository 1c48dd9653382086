-- the normalised distinct declarations (pipeline/licenses/build.py), one list parameter per column
create or replace temp table license_map as
select
    unnest($license_tags::varchar[][]) as license_tags,
    unnest($card_license::varchar[][]) as card_license,
    unnest($card_license_name::varchar[]) as card_license_name,
    unnest($card_license_link::varchar[]) as card_license_link,
    unnest($license_raw::varchar[]) as license_raw,
    unnest($license_ids::varchar[][]) as license_ids,
    unnest($license_id::varchar[]) as license_id,
    unnest($license_category::varchar[]) as license_category,
    unnest($license_osi_approved::boolean[]) as license_osi_approved,
    unnest($license_commercial_use::varchar[]) as license_commercial_use,
    unnest($license_source::varchar[]) as license_source,
    unnest($license_is_family::boolean[]) as license_is_family,
    unnest($license_unresolved::varchar[][]) as license_unresolved,
    unnest($license_conflict::boolean[]) as license_conflict,
    unnest($linked_repo::varchar[]) as linked_repo,
