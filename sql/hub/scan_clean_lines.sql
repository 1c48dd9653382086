-- A JSON Lines source checked in bulk, in one read by DuckDB: how many items it holds, how many
-- of them it does not clear, i.e. not plainly clean (unclean_line, create_unclean_line_macro.sql)
-- or possibly nested too deep (maybe_too_deep), and, for those Python can find by their text
-- (read as JSON, within the size bound), the text's length and sha256 and whether it is unclean:
-- Python checks those lines exactly. When some flagged line has no such text, a second read
-- numbers them (select_flagged_lines.sql). Blank lines are skipped by the reader: the caller
-- compares `records` with its own line count.
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
),

checked as (
    select
        json,
        line,
        unclean_line(json, line, $max_bytes) as unclean,
        unclean or maybe_too_deep(line, $max_depth) as flagged,
    from lines
)

select
    count(*) as records,
    count(*) filter (where flagged) as flagged,
    list({
        'length': strlen(line),
        -- CASE: hashed only where flagged
        'sha256': case when flagged then sha256(line) end,
        'unclean': unclean,
    }) filter (where flagged and json is not null and strlen(line) <= $max_bytes) as texts,
from checked
