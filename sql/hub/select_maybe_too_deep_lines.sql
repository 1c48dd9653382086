-- The lines of a JSON Lines source that may nest deeper than $max_depth (maybe_too_deep): Python
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
where maybe_too_deep(line, $max_depth)
