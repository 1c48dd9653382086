-- The string a JSON value holds, null when it holds no string. Values here come from
-- json_extract, which writes them minified: a string is the text between its quotes unless it
-- has an escape, and only then is it parsed.
create or replace macro json_text(j) as
    case
        when starts_with(j, '"')
            then if(contains(j, '\'), j ->> '$', (j::varchar)[2:-2])
    end
