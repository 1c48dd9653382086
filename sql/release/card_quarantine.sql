-- Records refused in one release's snapshot: one row per stage and reason.
with

quarantine as (
    select *, from quarantine
),

final as (
    select
        stage,
        reason,
        count(*) as count_records,
    from quarantine
    group by all
)

select *, from final
order by count_records desc, stage, reason
