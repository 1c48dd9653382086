import os
from datetime import date

import dagster as dg

from pipeline.provenance import FIRST_SNAPSHOT_DATE

# Set, this makes the code location a simulated one: the Hub resource defaults to a simulated
# world starting on this date, and the partitions start with that world instead of two years of
# dates the world has no state for (`dagster dev` offline shows only days it can build).
SIMULATED_FROM_ENV = "HUB_CENSUS_SIMULATED_FROM"


def simulated_from() -> date | None:
    """The simulated world's first day when the code location is a simulated one, else None."""
    text = os.environ.get(SIMULATED_FROM_ENV, "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{SIMULATED_FROM_ENV} is not a date (YYYY-MM-DD): {text!r}") from None
    if day < FIRST_SNAPSHOT_DATE:
        raise ValueError(f"{SIMULATED_FROM_ENV} is before {FIRST_SNAPSHOT_DATE}: {text!r}")
    return day


# One partition per UTC day on which the Hub was snapshotted. `end_offset=1` makes today's
# partition exist, so the 01:00 UTC tick snapshots "today": the Hub only ever shows the present,
# so the key must be the day the crawl ran, not the day that just ended.
daily_snapshots = dg.DailyPartitionsDefinition(
    start_date=(simulated_from() or FIRST_SNAPSHOT_DATE).isoformat(),
    end_offset=1,
    timezone="UTC",
)
