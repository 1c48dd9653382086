-- Edge counts along each dimension of the quality ledger: one row per dimension and value.
with

edges as (
    select *, from lin_edges_out
),

disagreements as (
    select unnest(disagreements) as disagreement, from edges
),

counts as (
    select 'parent_status' as dimension, parent_status as value, count(*) as n,
    from edges group by all
    union all
    select 'relation', relation, count(*), from edges group by all
    union all
    select 'relation_source', relation_source, count(*), from edges group by all
    union all
    select 'status_relation', parent_status || '/' || relation, count(*), from edges group by all
    union all
    select 'evidence', array_to_string(evidence, '+'), count(*), from edges group by all
    union all
    select 'license_check', license_check, count(*), from edges group by all
    union all
    select 'disagreement', disagreement, count(*), from disagreements group by all
)

select *, from counts
order by dimension, value
