-- A JSON Lines source checked in bulk, in one read by DuckDB: how many items it holds, how many
-- are not plainly clean (unclean_line, create_unclean_line_macro.sql), and how many may nest too
-- deep for SQL to clear them, to be checked one by one (maybe_too_deep). When every line is clean
-- the replay keeps the source's bytes as they are. Blank lines are skipped by the reader: the
-- caller compares `records` with its own line count.
with

lines as (
    select json, json::varchar as line,
    from read_ndjson_objects(
        $path,
        ignore_errors = true,
        maximum_object_size = $max_object_size,
        compression = $compression
    )
)

select
    count(*) as records,
    count(*) filter (where unclean_line(json, line, $max_bytes)) as unclean,
    count(*) filter (where maybe_too_deep(line, $max_depth)) as maybe_too_deep,
from lines
