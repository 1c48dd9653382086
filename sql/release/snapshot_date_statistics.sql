-- Whether a Parquet file's footer statistics show every row dated $day: every row group's
-- snapshot_date has no nulls and min = max = $day (true for a file without row groups).
with

chunks as (
    select
        row_group_num_rows,
        stats_null_count,
        stats_min_value,
        stats_max_value,
    from parquet_metadata($path)
    where path_in_schema = 'snapshot_date'
),

final as (
    select
        coalesce(
            bool_and(
                stats_null_count = 0
                and stats_min_value = $day
                and stats_max_value = $day
            ),
            true
        ) as settled,
    from chunks
)

select settled, from final
