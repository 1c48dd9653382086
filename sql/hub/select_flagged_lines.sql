-- The lines of a JSON Lines source that the bulk check does not clear (scan_clean_lines.sql), by
-- line number, for Python to check exactly: whether the line is unclean (false: only its nesting
-- may be too deep), and the length and sha256 of the text DuckDB read, by which Python makes sure
-- that its line of that number is the same text. A read in order is one thread's work: it runs
-- only when some flagged line has no text to find it by (DuckDB could not read it, or it is over
-- the size bound). Blank lines (which the reader skips and would shift the numbers) were ruled
-- out by the first read's count.
with

lines as (
    select
        line_no,
        json,
        json::varchar as line,
    from read_ndjson_objects(
        $path,
        ignore_errors = true,
        maximum_object_size = $max_object_size,
        compression = $compression
    ) with ordinality as numbered (json, line_no)
),

checked as (
    select
        line_no,
        line,
        unclean_line(json, line, $max_bytes) as unclean,
        maybe_too_deep(line, $max_depth) as deep,
    from lines
)

select
    line_no,
    unclean,
    strlen(line) as length,
    sha256(line) as sha256,
from checked
where unclean or deep
order by line_no
