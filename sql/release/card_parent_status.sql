-- How the declared parent references of one release resolved: one row per status.
with

edges as (
    select *, from lineage_edges
),

final as (
    select
        parent_status,
        count(*) as count_edges,
        count(distinct child_id) as count_children,
    from edges
    group by all
)

select *, from final
order by count_edges desc, parent_status
