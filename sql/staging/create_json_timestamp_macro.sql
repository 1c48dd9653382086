-- A point in time from the text of a JSON string (`json_text`): ISO 8601 only (`infinity`,
-- `epoch` and friends are not dates), at UTC; no offset means UTC already. An offset of hours
-- alone (`+00`) is how DuckDB writes a Parquet dump's zoned timestamp.
create or replace macro json_timestamp(t) as
    case
        when regexp_full_match(t, '\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)')
            then timezone('UTC', try_cast(t as timestamptz))
        when regexp_full_match(t, '\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?')
            then try_cast(t as timestamp)
    end
