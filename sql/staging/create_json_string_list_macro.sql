-- A card field the author may write as a string or a list: a string becomes a one-element list,
-- a list keeps its non-null elements as text, any other value is kept as its JSON text.
create or replace macro json_string_list(j) as
    case
        when json_type(j) = 'VARCHAR' then [j ->> '$']
        when json_type(j) = 'ARRAY'
            then list_filter(from_json(j, '["VARCHAR"]'), lambda v: v is not null)
        when json_type(j) <> 'NULL' then [j::varchar]
    end
