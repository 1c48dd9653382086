-- ecosystem_daily: one row per snapshot date, dimension and value. A removed model counts under the
-- values it had on the previous snapshot; a renamed one is neither new nor removed. On the first
-- snapshot of a series nothing is new or removed (previous_snapshot_date is null). Coverage and
-- comparability come from snapshot_sources (see pipeline/provenance.py).
-- The counter sums are over the day's models that carry the counter: null when the row has models
-- and none carries it (a source without the field; for downloads_delta, none also on the snapshot
-- before: a baseline, new models only), never 0 for unknown; 0 when the row has no model that day.
-- Not sorted here: the partition is written in the release's order
-- (pipeline.storage.write_release_form), so the rows are sorted once.
with

curr as (
    select * from hist_joined
    where in_curr
),

removed as (
    select * from hist_pairs
    where in_prev and not in_curr
),

run as (
    select
        $snapshot_date::date as snapshot_date,
        $previous_snapshot_date::date as previous_snapshot_date,
        $previous_snapshot_date is null as is_baseline,
),

present as (
    select
        curr.family,
        curr.license_category,
        curr.license_id,
        curr.base_relation,
        curr.openness_tier,
        curr.pipeline_tag,
        curr.library_name,
        1 as is_present,
        (not curr.in_prev and not run.is_baseline)::integer as is_new,
        0 as is_removed,
        (
            not curr.created_at_is_placeholder
            and curr.created_at::date = run.snapshot_date
        )::integer as created_today,
        curr.downloads_30d,
        curr.downloads_all_time,
        -- a corrected (decreased) all-time counter adds no downloads
        case
            when curr.downloads_all_time >= curr.prev_downloads_all_time
                then curr.downloads_all_time - curr.prev_downloads_all_time
            when curr.downloads_all_time < curr.prev_downloads_all_time then 0
        end as downloads_delta,
        curr.likes,
    from curr
    cross join run
),

gone as (
    select
        prev_family as family,
        prev_license_category as license_category,
        prev_license_id as license_id,
        prev_base_relation as base_relation,
        prev_openness_tier as openness_tier,
        prev_pipeline_tag as pipeline_tag,
        prev_library_name as library_name,
        0 as is_present,
        0 as is_new,
        1 as is_removed,
        0 as created_today,
        null::bigint as downloads_30d,
        null::bigint as downloads_all_time,
        null::bigint as downloads_delta,
        null::bigint as likes,
    from removed
),

facts as (
    select * from present
    union all
    select * from gone
),

labelled as (
    -- a label keeps a missing value apart from the nulls grouping sets use for "not grouped".
    -- A null licence category or tier is unknown (a record that shows neither tags nor card, a
    -- source without file lists), not the category or tier `none`: '(unknown)', so that neither
    -- reads as "no licence" or "no weights". '(none)' is a value the model does not have. The
    -- relation is '(unknown)' for a model whose record cannot name its parents (load_models.sql).
    select
        coalesce(license_category, '(unknown)') as license_category,
        case
            when license_category is null then '(unknown)'
            else coalesce(license_id, '(none)')
        end as license_id,
        coalesce(base_relation, '(none)') as relation,
        coalesce(openness_tier, '(unknown)') as openness_tier,
        coalesce(pipeline_tag, '(none)') as pipeline_tag,
        coalesce(library_name, '(none)') as library_name,
        is_present,
        is_new,
        is_removed,
        created_today,
        downloads_30d,
        downloads_all_time,
        downloads_delta,
        likes,
    from facts
),

by_dimension as (
    select
        case
            when grouping(license_category) = 0 then 'license_category'
            when grouping(license_id) = 0 then 'license_id'
            when grouping(relation) = 0 then 'relation'
            when grouping(openness_tier) = 0 then 'openness_tier'
            when grouping(pipeline_tag) = 0 then 'pipeline_tag'
            when grouping(library_name) = 0 then 'library_name'
            else 'all'
        end as dimension,
        coalesce(
            license_category,
            license_id,
            relation,
            openness_tier,
            pipeline_tag,
            library_name,
            'all'
        ) as value,
        sum(is_present)::bigint as models,
        sum(is_new)::bigint as new,
        sum(is_removed)::bigint as removed,
        sum(created_today)::bigint as created_that_day,
        if(sum(is_present) = 0, 0, sum(downloads_30d))::bigint as downloads_30d,
        if(sum(is_present) = 0, 0, sum(downloads_all_time))::bigint as downloads_all_time,
        if(sum(is_present) = 0, 0, sum(downloads_delta))::bigint as downloads_delta,
        if(sum(is_present) = 0, 0, sum(likes))::bigint as likes,
    from labelled
    group by grouping sets (
        (),
        (license_category),
        (license_id),
        (relation),
        (openness_tier),
        (pipeline_tag),
        (library_name),
    )
),

per_family as (
    -- a family's members are the models it counts on D and those it lost since P
    select
        family,
        count(*) as members,
        sum(is_present) as models,
        sum(is_new) as new,
        sum(is_removed) as removed,
        sum(created_today) as created_that_day,
        sum(downloads_30d) as downloads_30d,
        sum(downloads_all_time) as downloads_all_time,
        sum(downloads_delta) as downloads_delta,
        sum(likes) as likes,
    from facts
    group by family
),

by_family as (
    -- Most models are roots with no descendants, each its own family: those share one row so
    -- the table grows with the number of real families, not with the number of models. Summed
    -- per family first, then folded: no per-model lookup of family sizes.
    select
        'family' as dimension,
        case
            when family is null then '(unknown)'
            when members = 1 then '(single-model families)'
            else family
        end as value,
        sum(models)::bigint as models,
        sum(new)::bigint as new,
        sum(removed)::bigint as removed,
        sum(created_that_day)::bigint as created_that_day,
        if(sum(models) = 0, 0, sum(downloads_30d))::bigint as downloads_30d,
        if(sum(models) = 0, 0, sum(downloads_all_time))::bigint as downloads_all_time,
        if(sum(models) = 0, 0, sum(downloads_delta))::bigint as downloads_delta,
        if(sum(models) = 0, 0, sum(likes))::bigint as likes,
    from per_family
    group by all
),

grouped as (
    select * from by_dimension
    union all
    select * from by_family
)

select
    run.snapshot_date,
    grouped.*,
    run.previous_snapshot_date,
    (run.snapshot_date - run.previous_snapshot_date)::integer as days_since_previous,
    -- a subset day, or a source of another shape, is marked so its jump is not read as growth
    $coverage::varchar as coverage,
    $comparable_to_previous::boolean as comparable_to_previous,
from grouped
cross join run
