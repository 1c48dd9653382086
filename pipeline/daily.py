"""One day's build stages in order, without Dagster: for notebooks, tests and benchmarks.

The Dagster job runs the same functions as separate assets (with checks between them); this runs
them back to back on a raw snapshot that is already complete.
"""

from __future__ import annotations

from datetime import date

import duckdb

from pipeline.history import build_history
from pipeline.licenses.build import build_model_licenses
from pipeline.lineage.build import build_lineage
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
    """Stage, record the source, normalise licenses, build lineage, assemble `models` and the
    history of one day (`source` defaults to a full-Hub recorded replay)."""
    stage_models(layout, snapshot_date, conn)
    build_snapshot_sources(layout, snapshot_date, source or SourceInfo("recorded_replay"), conn)
    build_model_licenses(layout, snapshot_date, conn)
    build_lineage(layout, snapshot_date, conn)
    build_models(layout, snapshot_date, conn)
    build_history(layout, snapshot_date, conn)
