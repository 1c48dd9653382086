-- The lines of a JSON Lines source with more than $max_depth brackets (bracket_heavy): Python
-- checks each exactly.
select line,
from (
    select json::varchar as line,
    from read_ndjson_objects(
        $path,
        ignore_errors = true,
        maximum_object_size = $max_object_size,
        compression = $compression
    )
)
where bracket_heavy(line, $max_depth)
