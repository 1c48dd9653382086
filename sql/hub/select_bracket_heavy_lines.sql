-- The lines of a JSON Lines source with more than $max_depth brackets: only these can nest
-- deeper than the limit, and Python checks each exactly (pipeline.hub.raw.too_deep).
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
where strlen(line) - strlen(replace(replace(line, '[', ''), '{', '')) > $max_depth
