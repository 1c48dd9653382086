-- The latest earlier lineage_aliases partition ($previous_aliases).
insert into lin_alias_seen
select
    alias_key,
    hub_id,
    last_seen_date,
    alias_id,
from read_parquet($previous_aliases)
