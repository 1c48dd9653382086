"""One day's build stages in order, without Dagster: for notebooks, tests and benchmarks.

The Dagster job runs the same functions as separate assets (with checks between them); this runs
them back to back on a raw snapshot that is already complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from pipeline.datasets import build_datasets
from pipeline.derivatives import build_derivatives, build_reconciliation
from pipeline.gates import acceptances
from pipeline.history import build_history
from pipeline.history.build import stale_history_dates
from pipeline.licenses.build import build_model_licenses
from pipeline.lineage.build import build_lineage
from pipeline.locks import DateBusyError, date_lock
from pipeline.models import build_models
from pipeline.paths import Layout
from pipeline.provenance import SourceInfo, build_snapshot_sources
from pipeline.staging import stage_models


def build_day(
    layout: Layout,
    snapshot_date: date,
    conn: duckdb.DuckDBPyConnection,
    source: SourceInfo | None = None,
) -> None:
    """Stage, record the source, resolve declared datasets against the day's dataset listing
    (when there is one), normalise licenses, build lineage, assemble `models`, the
    history, derivatives and reconciliation of one day (`source` defaults to a full-Hub recorded
    replay)."""
    stage_models(layout, snapshot_date, conn)
    build_snapshot_sources(layout, snapshot_date, source or SourceInfo("recorded_replay"), conn)
    build_datasets(layout, snapshot_date, conn)
    build_model_licenses(layout, snapshot_date, conn)
    build_lineage(layout, snapshot_date, conn)
    build_models(layout, snapshot_date, conn)
    build_history(layout, snapshot_date, conn)
    build_derivatives(layout, snapshot_date, conn)
    build_reconciliation(layout, snapshot_date, conn)


@dataclass
class Refresh:
    rebuilt: list[date] = field(default_factory=list)
    # stale days another run holds: their own run, or the next run under the root, rebuilds them
    left_stale: list[date] = field(default_factory=list)


def refresh_stale_days(
    layout: Layout,
    conn: duckdb.DuckDBPyConnection,
    *,
    pipeline_version: str,
    source_commit: str | None,
) -> Refresh:
    """Rebuild the history of every day built against an older previous snapshot than it has now
    (a run for an earlier date finished after it), oldest first, and republish it (replacing
    its release, which the new manifest records) when it had one. So its history tables are the
    same as running the dates in order; the other tables that read earlier dates (lineage's
    aliases, the 30-day derivatives window) are not rebuilt (docs/HISTORY.md). A day whose own
    run holds its lock is left to that run."""
    from pipeline.release.publish import write_release

    refresh = Refresh()
    for day in stale_history_dates(layout):
        try:
            with date_lock(layout, day):
                build_history(layout, day, conn)
                if layout.release(day).is_dir():
                    write_release(
                        layout,
                        day,
                        force=True,
                        pipeline_version=pipeline_version,
                        source_commit=source_commit,
                        gate_acceptances=acceptances(layout, day),
                    )
        except DateBusyError:
            refresh.left_stale.append(day)
            continue
        refresh.rebuilt.append(day)
    return refresh
