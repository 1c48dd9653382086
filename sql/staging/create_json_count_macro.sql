-- A count (downloads, likes, parameters): a non-negative JSON integer, else unknown (null), never
-- zero. An integral number written with a fraction of zeros (123.0) is kept: a Parquet dump
-- whose counters were written from a float column (pandas turns an integer column with gaps
-- into floats) holds nothing else. The value is minified JSON from json_extract.
create or replace macro json_count(j) as
    case
        when regexp_full_match(j, '-?[0-9]+(\.0+)?') and try_cast(split_part(j, '.', 1) as bigint) >= 0
            then try_cast(split_part(j, '.', 1) as bigint)
    end
