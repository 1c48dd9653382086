import dagster as dg

from pipeline.provenance import FIRST_SNAPSHOT_DATE

# One partition per UTC day on which the Hub was snapshotted. `end_offset=1` makes today's
# partition exist, so the 01:00 UTC tick snapshots "today": the Hub only ever shows the present,
# so the key must be the day the crawl ran, not the day that just ended.
daily_snapshots = dg.DailyPartitionsDefinition(
    start_date=FIRST_SNAPSHOT_DATE.isoformat(),
    end_offset=1,
    timezone="UTC",
)
