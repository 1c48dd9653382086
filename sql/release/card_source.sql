-- where the release's snapshot came from and how much of the Hub it covers
select source_kind, source_name, source_sha256, source_records, coverage, source_shape,
    missing_fields,
from snapshot_sources
