-- Ids seen on earlier days, filled by insert_staged_aliases and insert_previous_aliases and
-- reduced by keep_old_ids.
create or replace temp table lin_alias_seen (
    alias_key varchar,
    hub_id varchar,
    last_seen_date date,
    alias_id varchar,
)
