"""The census's day: a snapshot date is a UTC calendar day, whoever runs it and wherever.

Kept apart from `pipeline.hub.crawl` so that the command line can default a date without
importing the crawler (and huggingface_hub with it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_today() -> date:
    return datetime.now(UTC).date()
