-- family_downloads_window: downloads of each family over the last 7 and 30 days, from the
-- all-time counter on the day minus the same model's counter on the snapshot of N days before.
-- A window whose earlier snapshot is absent has null downloads, never 0; so has a group none of
-- whose models carries the counter on both days.
-- Not sorted here: the partition is written in the release's order
-- (pipeline.storage.write_release_form), so the rows are sorted once.
with

listed as (
    select
        snapshot_date,
        coalesce(hub_id, 'id:' || lower(model_id)) as model_key,
        downloads_all_time,
    from read_parquet($paths, hive_partitioning = false, union_by_name = true)
),

windows as (
    select
        window_days,
        ($snapshot_date::date - window_days::integer) as earlier_date,
        list_contains($earlier_dates::date[], $snapshot_date::date - window_days::integer)
            as earlier_present,
    from unnest([7, 30]) as w (window_days)
),

curr as (
    select
        coalesce(hub_id, 'id:' || lower(model_id)) as model_key,
        downloads_all_time,
        family,
        count(*) over (partition by family) as members,
        -- Quantized repos and GGUF files are downloaded per file by local runtimes, so their
        -- counts are kept apart from those of the weights they quantize.
        case
            when base_relation = 'quantized'
                or gguf_present
                or list_contains(tags, 'gguf')
                or len(list_filter(siblings, lambda f: lower(f) like '%.gguf')) > 0
                then 'quantized_or_gguf'
            else 'other'
        end as model_group,
    from read_parquet($current, hive_partitioning = false)
),

paired as (
    select
        windows.window_days,
        windows.earlier_date,
        windows.earlier_present,
        -- Most models are roots without descendants, each its own family: those share one row
        -- (as in ecosystem_daily) so the table grows with the number of real families.
        case
            when curr.family is null then '(unknown)'
            when curr.members = 1 then '(single-model families)'
            else curr.family
        end as family,
        curr.model_group,
        curr.downloads_all_time,
        earlier.model_key is not null as was_listed,
        curr.downloads_all_time - earlier.downloads_all_time as delta,
    from curr
    cross join windows
    left join listed as earlier
        on earlier.snapshot_date = windows.earlier_date
        and earlier.model_key = curr.model_key
)

select
    $snapshot_date::date as snapshot_date,
    family,
    window_days,
    model_group,
    case when earlier_present then earlier_date end as earlier_snapshot_date,
    count(*)::bigint as models,
    case when earlier_present then count(delta) end::bigint as models_compared,
    case when earlier_present then sum(delta) end::bigint as downloads,
    case when earlier_present then count(*) filter (where not was_listed) end::bigint
        as models_added,
    case
        when not earlier_present then null
        when count(*) filter (where not was_listed) = 0 then 0
        else sum(downloads_all_time) filter (where not was_listed)
    end::bigint as downloads_of_added,
from paired
group by family, window_days, model_group, earlier_present, earlier_date
