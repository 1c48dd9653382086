-- one community counter file as typed observations (the caller renamed its columns to these)
select
    trim(model_id::varchar) as model_id,
    try_cast(counter_date as date) as date,
    try_cast(downloads as bigint) as downloads_30d,
    try_cast(downloads_all_time as bigint) as downloads_all_time,
    try_cast(likes as bigint) as likes,
from counter_file
