import dagster as dg

# One partition per UTC day on which the Hub was snapshotted. `end_offset=1` makes today's
# partition exist, so the 01:00 UTC tick snapshots "today": the Hub only ever shows the present,
# so the key must be the day the crawl ran, not the day that just ended.
daily_snapshots = dg.DailyPartitionsDefinition(
    start_date="2024-01-01",
    end_offset=1,
    timezone="UTC",
)
