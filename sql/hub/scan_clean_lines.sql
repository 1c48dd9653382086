-- A JSON Lines source checked in bulk, in one read by DuckDB: how many items it holds and how many
-- of them it does not clear, i.e. not plainly clean (unclean_line, create_unclean_line_macro.sql)
-- or possibly nested too deep (maybe_too_deep): Python checks those exactly, from their line
-- numbers (select_flagged_lines.sql). Blank lines are skipped by the reader: the caller compares
-- `records` with its own line count.
with

lines as (
    select
        json,
        json::varchar as line,
    from read_ndjson_objects(
        $path,
        ignore_errors = true,
        maximum_object_size = $max_object_size,
        compression = $compression
    )
)

select
    count(*) as records,
    count(*) filter (
        where unclean_line(json, line, $max_bytes) or maybe_too_deep(line, $max_depth)
    ) as flagged,
from lines
