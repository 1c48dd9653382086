"""One day's build stages in order, without Dagster: for notebooks, tests and benchmarks.

The Dagster job runs the same functions as separate assets (with checks between them); this runs
them back to back on a raw snapshot that is already complete.
"""

from __future__ import annotations

from datetime import date

import duckdb

from pipeline.derivatives import build_derivatives, build_reconciliation
from pipeline.history import build_history
from pipeline.licenses.build import build_model_licenses
from pipeline.lineage.build import build_lineage
from pipeline.models import build_models
from pipeline.paths import Layout
from pipeline.staging import stage_models


def build_day(layout: Layout, snapshot_date: date, conn: duckdb.DuckDBPyConnection) -> None:
    """Stage, normalise licenses, build lineage, assemble `models`, the history, derivatives
    and reconciliation of one day."""
    stage_models(layout, snapshot_date, conn)
    build_model_licenses(layout, snapshot_date, conn)
    build_lineage(layout, snapshot_date, conn)
    build_models(layout, snapshot_date, conn)
    build_history(layout, snapshot_date, conn)
    build_derivatives(layout, snapshot_date, conn)
    build_reconciliation(layout, snapshot_date, conn)
