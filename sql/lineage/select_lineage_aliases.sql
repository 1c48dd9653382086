-- lineage_aliases: one row per id seen up to the snapshot date that no model of the day answers
-- to, and the repo (`_id`) that held it; tomorrow's build starts from it.
select
    $snapshot_date::date as snapshot_date,
    alias_key,
    hub_id,
    last_seen_date,
    alias_id,
from lin_alias_seen
order by alias_key, hub_id
