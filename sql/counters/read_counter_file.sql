-- one community counter file as typed observations (the caller renamed its columns to these),
-- with each counter's text as written, so that a value that is not a count is refused
-- (counter_problems.sql) rather than read as null or rounded
with

texts as (
    select
        trim(model_id::varchar) as model_id,
        counter_date,
        nullif(trim(counter_date::varchar), '') as date_text,
        nullif(trim(downloads::varchar), '') as downloads_text,
        nullif(trim(downloads_all_time::varchar), '') as downloads_all_time_text,
        nullif(trim(likes::varchar), '') as likes_text,
    from counter_file
)

select
    model_id,
    try_cast(counter_date as date) as date,
    date_text,
    -- a count is a whole number from 0 up: digits, or a float's `.0` (pandas writes an integer
    -- column with gaps as floats); its integer part, null when the text is no such number or
    -- exceeds BIGINT
    try_cast(regexp_extract(downloads_text, '^\+?([0-9]+)(\.0*)?$', 1) as bigint) as downloads_30d,
    try_cast(
        regexp_extract(downloads_all_time_text, '^\+?([0-9]+)(\.0*)?$', 1) as bigint
    ) as downloads_all_time,
    try_cast(regexp_extract(likes_text, '^\+?([0-9]+)(\.0*)?$', 1) as bigint) as likes,
    downloads_text,
    downloads_all_time_text,
    likes_text,
from texts
