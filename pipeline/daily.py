"""One day's build stages in order, without Dagster: for notebooks, tests and benchmarks.

The Dagster job runs the same functions as separate assets (with checks between them); this runs
them back to back on a raw snapshot that is already complete.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import duckdb

from pipeline.datasets import build_datasets
from pipeline.derivatives import build_derivatives, build_reconciliation
from pipeline.gates import acceptances
from pipeline.history import build_history
from pipeline.history.build import MODELS, history_complete, stale_history_dates
from pipeline.licenses.build import build_model_licenses
from pipeline.lineage.build import build_lineage, cycle_edges_in_ancestry, stale_lineage_dates
from pipeline.locks import DateBusyError, date_lock
from pipeline.models import build_models
from pipeline.paths import Layout
from pipeline.provenance import SourceInfo, build_snapshot_sources
from pipeline.registry import load_registry
from pipeline.staging import stage_models
from pipeline.storage import partition_dates


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


# The plain function of each asset a later day builds again once an earlier date changes under
# it; which assets those are is the registry's to say (`Registry.assets_reading_earlier_dates`).
_REBUILD_STEPS: dict[str, Callable[[Layout, date, duckdb.DuckDBPyConnection], object]] = {
    "staged_datasets": build_datasets,
    "model_licenses": build_model_licenses,
    "lineage": build_lineage,
    "models": build_models,
    "history": build_history,
    "derivatives": build_derivatives,
}


def rebuilt_tables() -> list[str]:
    """The warehouse tables `rebuild_day` writes again, in registry order."""
    registry = load_registry()
    assets = set(registry.assets_reading_earlier_dates())
    return [n for n, t in registry.tables.items() if t.asset in assets and t.is_warehouse]


def rebuild_steps() -> list[Callable[[Layout, date, duckdb.DuckDBPyConnection], object]]:
    """The steps whose warehouse tables read earlier dates, directly or through a table that
    does, in build order (the refresh republishes a rebuilt day itself)."""
    assets = load_registry().assets_reading_earlier_dates()
    if missing := [a for a in assets if a not in _REBUILD_STEPS]:
        raise LookupError(f"no plain step to rebuild asset(s) {missing} on a later day")
    return [_REBUILD_STEPS[a] for a in assets]


class RebuildIntegrityError(RuntimeError):
    """A day built again walks a cycle in its ancestry: it must not be published."""


def rebuild_day(layout: Layout, day: date, conn: duckdb.DuckDBPyConnection) -> None:
    """Build again every table of a built day that reads earlier dates, from its own staged
    snapshot: its datasets' history, licences, lineage (the previous day's aliases), `models`,
    history and derivatives. Staging, provenance and reconciliation read the day alone.

    The day's steady gates judged its own crawl, which this does not change, so they are not
    judged again (its release keeps the acceptances recorded for it). Its lineage does change
    (more old ids known), so the integrity check of the ancestry, which no one may accept, runs
    again right after it: a failure stops the rebuild before the day's history (so the day stays
    stale, and the next refresh says so again) and before it is published."""
    for step in rebuild_steps():
        step(layout, day, conn)
        if step is build_lineage and (cycles := cycle_edges_in_ancestry(layout, day, conn)):
            raise RebuildIntegrityError(
                f"{day} built again walks {cycles} cycle edge(s) or leaves walked edges out of "
                "its ancestry (no_cycle_in_ancestry); it was not published again"
            )


def stale_days(layout: Layout) -> list[date]:
    """Built days to build again, oldest first: each day whose history was compared with another
    previous snapshot than the one it has now, or whose lineage read old ids before an earlier date
    was staged (an earlier date was built after it, or while it was being built), and every built
    day after the first of them, since each day's lineage and history read the day before it. A
    day whose history is not complete (a failed or running run) is left to its own run."""
    stale = [
        day
        for day in stale_history_dates(layout) + stale_lineage_dates(layout)
        if history_complete(layout, day)
    ]
    if not stale:
        return []
    return [
        day
        for day in partition_dates(layout, MODELS)
        if day >= min(stale) and history_complete(layout, day)
    ]


@dataclass
class Refresh:
    rebuilt: list[date] = field(default_factory=list)
    # rebuilt days whose release was replaced
    republished: list[date] = field(default_factory=list)
    # stale days another run holds, and every day after the first of them: that day's own run,
    # or the next run under the root, rebuilds them
    left_stale: list[date] = field(default_factory=list)


def refresh_stale_days(
    layout: Layout,
    conn: duckdb.DuckDBPyConnection,
    *,
    pipeline_version: str,
    source_commit: str | None,
    own_day: date | None = None,
    until: date | None = None,
    say: Callable[[str], None] | None = None,
) -> Refresh:
    """Build again every stale day (`stale_days`) up to `until`, oldest first, and republish it
    (replacing its release, which the new manifest records) when it had one. So each day's tables
    are the same as if the dates had been run in order.

    `own_day` is the caller's own date, whose lock the caller holds: it is rebuilt in its turn but
    not republished (the caller publishes it). Another day whose run holds its lock stops the
    refresh there: that day and the ones after it are left to that run's own refresh. A day that
    fails its integrity check once built again raises RebuildIntegrityError (`rebuild_day`)."""
    from pipeline.release.publish import write_release

    refresh = Refresh()
    days = [d for d in stale_days(layout) if until is None or d <= until]
    for n, day in enumerate(days):
        if say is not None:
            say(f"building {day} again ({n + 1} of {len(days)}): an earlier date changed under it")
        if day == own_day:
            rebuild_day(layout, day, conn)
            refresh.rebuilt.append(day)
            continue
        try:
            with date_lock(layout, day):
                rebuild_day(layout, day, conn)
                if layout.release(day).is_dir():
                    write_release(
                        layout,
                        day,
                        force=True,
                        pipeline_version=pipeline_version,
                        source_commit=source_commit,
                        gate_acceptances=acceptances(layout, day),
                    )
                    refresh.republished.append(day)
        except DateBusyError:
            refresh.left_stale = days[n:]
            break
        refresh.rebuilt.append(day)
    return refresh
