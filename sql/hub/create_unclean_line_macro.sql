-- Whether a record read by DuckDB (`json`, and its text `line`) is not plainly a clean item: the
-- one definition both bulk checks use, the replay's of a JSON Lines source (scan_clean_lines.sql)
-- and the crawl's of a listing page (scan_clean_page.sql).
--
-- Not clean: not JSON, not UTF-8, not an object, longer than max_bytes; or holding what DuckDB
-- accepts and Python's json reads otherwise or refuses: a bare NaN or Infinity value (DuckDB also
-- reads nan, inf or infinity in any case, which Python refuses), lone surrogate escapes, a trailing
-- comma, a number too long for Python's int. Those are matched in strings too: a false alarm only
-- sends the record down the exact Python path, which decides.
create or replace macro unclean_line(json, line, max_bytes) as
    json is null
    -- valid JSON that starts with `{` is an object; anything else is asked of json_type
    or case when starts_with(line, '{') then false else json_type(json) <> 'OBJECT' end
    or strlen(line) > max_bytes
    -- a bare value: after `:`, `[` or `,`, blanks and a sign, and before the `,`, `]` or `}` that
    -- ends a value (so that text such as `, inference` or `: Information` inside a string, common
    -- in real cards, is no alarm: one would send a whole replay down the slow path)
    or regexp_matches(line, '[:\[,]\s*[-+]?(?i:nan|inf|infinity)\s*[,\]}]')
    -- the regular expressions below run only where the cheap test before them says they may
    -- match: CASE evaluates its THEN for those rows alone, OR evaluates every side
    -- a lone surrogate escape: one left once every escaped backslash (`\\`, paired from the left
    -- as JSON reads them, so `\\ud83d` is no escape) and every high-low pair (an emoji escaped by
    -- an ASCII-only writer, common in real cards and in JSON text held in a string) is taken out
    or case
        when contains(line, '\u') then regexp_matches(
            regexp_replace(
                replace(line, '\\', ''),
                '\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}',
                '',
                'g'
            ),
            '\\u[dD][89a-fA-F]'
        )
        else false
    end
    or case when contains(line, ',') then regexp_matches(line, ',\s*[\]}]') else false end
    or case when strlen(line) > 4300 then regexp_matches(line, '[0-9]{1000}') else false end
