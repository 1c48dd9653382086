-- A listing page as the server sent it (a JSON array in the file $path) checked in bulk, in one
-- read by DuckDB: how many items it holds, how many are not plainly clean (unclean_line, the
-- replay's own conditions, or a line break inside the item, i.e. a pretty-printed body), the texts
-- of the items that may nest too deep for SQL to clear them (maybe_too_deep), the digest of the
-- page's ids, and the page's lines. The caller keeps the lines only when every item is clean.
--
-- Each line is the item's text exactly as the server sent it, from its first to its last byte:
-- DuckDB's `json::varchar` of an array element is the element's own bytes (spacing, escapes and
-- number spelling kept), without the blanks and commas between elements.
with

items as (
    select
        position,
        json,
        json::varchar as line,
        json -> '$.id' as id,
    from read_json_objects($path, format = 'array') with ordinality as elements (json, position)
)

select
    count(*) as records,
    count(*) filter (
        where unclean_line(json, line, $max_bytes) or contains(line, chr(10)) or contains(line, chr(13))
    ) as unclean,
    list(line order by position) filter (where maybe_too_deep(line, $max_depth)) as maybe_too_deep,
    -- an id that is not a string (never seen on the Hub) counts as an empty one, on both paths
    sha256(
        string_agg(if(starts_with(id, '"'), id ->> '$', ''), chr(10) order by position)
    ) as ids_digest,
    -- one newline after each line, the last included: JSON Lines
    encode(string_agg(line || chr(10), '' order by position)) as lines,
from items
