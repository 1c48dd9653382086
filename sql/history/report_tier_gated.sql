-- public models per snapshot by openness tier and gating, for the explorer's tier slices
select
    snapshot_date,
    -- unknown (no file list in the source), as ecosystem_daily labels it
    coalesce(openness_tier, '(unknown)') as openness_tier,
    -- null: the source has no `gated` field (a dump, an old listing) or an unreadable value;
    -- unknown, never "not gated"
    coalesce(gated, '(unknown)') as gated,
    count(*) as models,
from read_parquet($paths, hive_partitioning = false, union_by_name = true)
where not coalesce(is_private, false)
group by all
order by all
