-- The records whose text and sha256 the second read fetches (fill_raw_records.sql): those staging
-- refuses (their quarantine row keeps both) and those that share an `_id` or an id with another
-- record (mark_duplicate_records.sql breaks their ties by sha256). A line that is not JSON has no
-- text to fetch. Grouped, not windowed: the groups of more than one are few.
update _stage_records
set raw_wanted = true
where
    raw_hash is not null
    and (
        reason is not null
        or hub_id in (
            select hub_id,
            from _stage_records
            where reason is null and hub_id is not null
            group by hub_id
            having count(*) > 1
        )
        or lower(model_id) in (
            select lower(model_id),
            from _stage_records
            where reason is null
            group by lower(model_id)
            having count(*) > 1
        )
    )
