-- A family-tree scrape (each line `{"model_id", "metadata": "<a ModelInfo as JSON text>", "depth",
-- "children", ...}`) as JSON Lines of the ModelInfo items themselves, minified, one a line, in
-- the source's order: the replay then checks and stages them as any recorded listing. A line
-- whose `metadata` is not the text of a JSON object (`"N/A"` in real scrapes) stays as it is.
-- A line DuckDB cannot read fails the statement, and a blank one is skipped: the caller then
-- unwraps line by line (its row count differs from the source's lines). Minified JSON holds no
-- raw control character, so the tab between columns and the newline between rows never occur in
-- a line, and nothing needs quoting.
copy (
    select
        case
            when starts_with(metadata, '{') and json_valid(metadata) then json(metadata)
            else json(json)
        end::varchar as line,
    from (
        select
            json,
            -- the text of a string; an object's own JSON text when metadata is one already
            json ->> '$.metadata' as metadata,
        from read_ndjson_objects(
            $source,
            maximum_object_size = $max_object_size,
            compression = $compression
        )
    )
) to $target (format csv, header false, quote '', escape '', delim '\t')
