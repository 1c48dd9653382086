-- A JSON Lines source checked in bulk, in one read by DuckDB: how many items it holds, how many
-- are not plainly clean (unclean_line, create_unclean_line_macro.sql), and how many have so many
-- brackets that their depth must be checked one by one. When every line is clean the replay keeps
-- the source's bytes as they are. Blank lines are skipped by the reader: the caller compares
-- `records` with its own line count.
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
    count(*) filter (where bracket_heavy(line, $max_depth)) as bracket_heavy,
from lines
