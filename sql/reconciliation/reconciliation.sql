-- reconciliation: one row per snapshot date that explains how many models there are. The crawl's
-- records (`listed`) are the staged models plus the quarantined records; private records are
-- among the quarantined ones; gated and disabled models are among the staged (public) ones.
with

counted as (
    select
        count(*)::bigint as public,
        -- a source without `gated` or `disabled` (a hub-stats dump, an old listing) says nothing
        -- of them: its counts are unknown when no public model carries the field
        count(*) > 0 and count(gated) = 0 as gating_unknown,
        count(*) > 0 and count(is_disabled) = 0 as disabled_unknown,
        count(*) filter (where gated in ('auto', 'manual'))::bigint as gated,
        count(*) filter (where gated = 'auto')::bigint as gated_auto,
        count(*) filter (where gated = 'manual')::bigint as gated_manual,
        count(*) filter (where is_disabled)::bigint as disabled,
    from read_parquet($staged, hive_partitioning = false)
),

staged as (
    select
        public,
        if(gating_unknown, null, gated) as gated,
        if(gating_unknown, null, gated_auto) as gated_auto,
        if(gating_unknown, null, gated_manual) as gated_manual,
        if(disabled_unknown, null, disabled) as disabled,
    from counted
),

reasons as (
    select reason, count(*)::bigint as records,
    from read_parquet($quarantine, hive_partitioning = false)
    group by reason
),

quarantined as (
    select
        coalesce(sum(records), 0)::bigint as quarantined,
        coalesce(sum(records) filter (where reason = 'private_record'), 0)::bigint
            as private_records_dropped,
        -- no quarantined record gives an empty object, not null
        coalesce(json_group_object(coalesce(reason, '(none)'), records), '{}')::json
            as quarantine_by_reason,
    from reasons
)

select
    $snapshot_date::date as snapshot_date,
    $source::varchar as source,
    $reported_total::bigint as reported_total,
    $listed::bigint as listed,
    staged.public + quarantined.quarantined as staged_plus_quarantined,
    staged.public,
    staged.gated,
    staged.gated_auto,
    staged.gated_manual,
    staged.disabled,
    quarantined.quarantined,
    quarantined.private_records_dropped,
    quarantined.quarantined - quarantined.private_records_dropped as quarantined_other,
    quarantined.quarantine_by_reason,
    $reported_total::bigint - $listed::bigint as reported_minus_listed,
from staged, quarantined
