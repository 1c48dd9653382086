-- where the release's snapshot came from and how much of the Hub it covers: every column, read
-- by name, since a release built before a column existed (`subset_name`) lacks it
select *,
from snapshot_sources
