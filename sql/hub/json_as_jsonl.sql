-- a JSON document of model items (a saved `/api/models` response: one array of them, often
-- pretty-printed; or a single item) as JSON Lines for the replay: one element a line, minified.
-- Minified JSON holds no raw control character, so the tab between columns (there is one) and
-- the newline between rows never occur in a line, and nothing needs quoting.
copy (
    select json(json)::varchar as line,
    from read_json_objects($source, format = 'auto', maximum_object_size = $max_object_size)
) to $target (format csv, header false, quote '', escape '', delim '\t')
