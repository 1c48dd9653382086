-- derivatives_daily: derivative models per base model and per base organisation, by relation,
-- direct (a walked edge to the base) and transitive (the base among the model's ancestors).
-- Only walked edges count: a missing, self-loop or cycle-closing parent is no base.
-- Not sorted here: the partition is written in the release's order
-- (pipeline.storage.write_release_form), so the rows are sorted once.
with

edges as (
    select child_id, parent_id, relation,
    from read_parquet($edges, hive_partitioning = false)
    where is_walked
),

-- A model's organisation is its `author` (the namespace of its id when the Hub gives none): a
-- legacy bare id such as `gpt2` is its own organisation then.
authors as (
    select model_id, coalesce(author, split_part(model_id, '/', 1)) as organization,
    from read_parquet($models, hive_partitioning = false)
),

-- The Hub gives a model one relation to its bases; a model whose walked edges disagree is
-- counted under the strongest (merge > adapter > quantized > finetune > unknown), once.
model_relation as (
    select
        child_id as model_id,
        arg_max(
            relation,
            case relation
                when 'merge' then 5
                when 'adapter' then 4
                when 'quantized' then 3
                when 'finetune' then 2
                else 1
            end
        ) as relation,
    from edges
    group by child_id
),

direct as (
    select edges.child_id as model_id, edges.parent_id as base_id, edges.relation,
    from edges
),

transitive as (
    select ancestry.model_id, ancestry.ancestor_id as base_id, model_relation.relation,
    from read_parquet($ancestry, hive_partitioning = false) as ancestry
    join model_relation using (model_id)
),

pairs as (
    select 'direct' as depth, *, from direct
    union all
    select 'transitive' as depth, *, from transitive
),

per_level as (
    select 'model' as level, depth, base_id as base, relation, model_id,
    from pairs
    union all
    select
        'organization' as level,
        pairs.depth,
        coalesce(authors.organization, split_part(pairs.base_id, '/', 1)) as base,
        pairs.relation,
        pairs.model_id,
    from pairs
    left join authors on authors.model_id = pairs.base_id
)

-- `all` counts each derivative once, whatever its relations to the base.
select
    $snapshot_date::date as snapshot_date,
    level,
    base,
    coalesce(relation, 'all') as relation,
    depth,
    count(distinct model_id)::bigint as derivatives,
from per_level
group by grouping sets ((level, base, depth, relation), (level, base, depth))
