"""A day's release and what follows it, in order, for callers outside Dagster.

The Dagster job runs these as two assets, `release` then `catalog`; tests, notebooks and the
stale-day refresh outside a job call `publish_release`, which does the same.
"""

from __future__ import annotations

from datetime import date

from pipeline.paths import Layout
from pipeline.release.catalog import refresh_catalog
from pipeline.release.publish import ReleaseResult, write_release


def publish_release(layout: Layout, snapshot_date: date, **options) -> ReleaseResult:
    """`write_release` (see pipeline.release.publish for `options`), then the catalog."""
    result = write_release(layout, snapshot_date, **options)
    refresh_catalog(layout, published=snapshot_date)
    return result
