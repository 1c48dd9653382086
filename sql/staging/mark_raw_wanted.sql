-- The records whose text and sha256 the second read fetches (fill_raw_records.sql): those staging
-- refuses (their quarantine row keeps both) and those that share an `_id` or an id with another
-- record (mark_duplicate_records.sql breaks their ties by sha256). A line that is not JSON has no
-- text to fetch.
update _stage_records
set raw_wanted = true
from (
    with

    candidates as (
        select
            rowid as record_row,
            reason,
            count(hub_id) over (partition by hub_id) as same_hub_id,
            count(*) over (partition by lower(model_id)) as same_model_id,
        from _stage_records
        where raw_hash is not null
    )

    select record_row,
    from candidates
    where reason is not null or same_hub_id > 1 or (reason is null and same_model_id > 1)
) as wanted
where _stage_records.rowid = wanted.record_row
