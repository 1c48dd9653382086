-- A card field the author may write as a string or a list: a string becomes a one-element list,
-- a list keeps its non-null elements as text, any other value is kept as its JSON text. The value
-- is minified JSON from json_extract, so its first character is its type (create_json_text_macro).
create or replace macro json_string_list(j) as
    case
        when starts_with(j, '"') then [json_text(j)]
        when starts_with(j, '[')
            then list_filter(from_json(j, '["VARCHAR"]'), lambda v: v is not null)
        when j <> 'null' then [j::varchar]
    end
