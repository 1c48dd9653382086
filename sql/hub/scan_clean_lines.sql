-- A JSON Lines source checked in bulk, in one read by DuckDB: how many items it holds, how many
-- are not plainly clean, and the lines with so many brackets that their depth must be checked
-- one by one. When every line is clean the replay keeps the source's bytes as they are.
--
-- Not clean: not JSON, not UTF-8, not an object, longer than $max_bytes; or holding what DuckDB
-- accepts and Python's json reads otherwise or refuses (NaN, Infinity, lone surrogate escapes, a
-- trailing comma, a number too long for Python's int). Those are matched anywhere, strings
-- included: a false alarm only sends the source down the line-by-line path, which decides exactly.
-- Blank lines are skipped by the reader: the caller compares `records` with its own line count.
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
    count(*) filter (
        where json is null
            -- valid JSON that starts with `{` is an object; anything else is asked of json_type
            or case when starts_with(line, '{') then false else json_type(json) <> 'OBJECT' end
            or strlen(line) > $max_bytes
            or contains(line, 'NaN')
            or contains(line, 'Infinity')
            -- the regular expressions run only where the cheap test before them says they may
            -- match: CASE evaluates its THEN for those rows alone, AND evaluates both sides
            or case when contains(line, '\u') then regexp_matches(line, '\\u[dD][89a-fA-F]') else false end
            or case when contains(line, ',') then regexp_matches(line, ',\s*[\]}]') else false end
            or case when strlen(line) > 4300 then regexp_matches(line, '[0-9]{1000}') else false end
    ) as unclean,
    count(*) filter (
        where strlen(line) - strlen(replace(replace(line, '[', ''), '{', '')) > $max_depth
    ) as bracket_heavy,
from lines
