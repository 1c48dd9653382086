"""Derivatives as the Hub's own reports count them, family downloads over a window, and the day's
reconciliation of model counts (issue 16, items 5 and 6).

Three tables, each a function of partitions other stages wrote (docs/LINEAGE.md, "Derivatives";
docs/HISTORY.md, "Downloads over a window" and "Reconciliation"):

    derivatives_daily        lineage_edges, lineage_ancestry and models of day D
    family_downloads_window  models of D, D-7 and D-30 (the earlier ones when they exist)
    reconciliation           the raw snapshot's _manifest.json, models_staged and quarantine of D
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pipeline.paths import Layout, literal_path
from pipeline.sql import connection, load_sql
from pipeline.storage import write_partition

DERIVATIVES_DAILY = "derivatives_daily"
FAMILY_DOWNLOADS_WINDOW = "family_downloads_window"
RECONCILIATION = "reconciliation"
WINDOW_DAYS = (7, 30)

MANIFEST = "_manifest.json"


class DerivativesInputError(ValueError):
    """A partition the tables are built from is absent."""


@dataclass(frozen=True)
class DerivativesResult:
    snapshot_date: date
    rows: dict[str, int] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    # the earlier snapshot each window compared with; None when it is absent
    earlier: dict[int, date | None] = field(default_factory=dict)


def _require(layout: Layout, table: str, snapshot_date: date) -> Path:
    path = layout.table_partition(table, snapshot_date)
    if not path.is_file():
        raise DerivativesInputError(f"no {table} partition for {snapshot_date}: {path}")
    return path


def build_derivatives(
    layout: Layout, snapshot_date: date, conn: duckdb.DuckDBPyConnection | None = None
) -> DerivativesResult:
    """Write `derivatives_daily` and `family_downloads_window` for `snapshot_date`."""
    edges = _require(layout, "lineage_edges", snapshot_date)
    ancestry = _require(layout, "lineage_ancestry", snapshot_date)
    models = _require(layout, "models", snapshot_date)
    earlier = {
        days: snapshot_date - timedelta(days=days)
        if layout.table_partition("models", snapshot_date - timedelta(days=days)).is_file()
        else None
        for days in WINDOW_DAYS
    }
    earlier_dates = sorted({d for d in earlier.values() if d is not None})
    rows: dict[str, int] = {}
    paths: dict[str, Path] = {}
    with connection(conn) as con:
        paths[DERIVATIVES_DAILY], rows[DERIVATIVES_DAILY] = write_partition(
            con,
            layout,
            DERIVATIVES_DAILY,
            snapshot_date,
            load_sql("derivatives/derivatives_daily"),
            {
                "edges": literal_path(edges),
                "ancestry": literal_path(ancestry),
                "models": literal_path(models),
                "snapshot_date": snapshot_date,
            },
            # a day on which no model names a listed parent has no derivatives
            allow_empty=True,
        )
        # The day's own partition is always among the paths, so the list is never empty; its
        # rows never match an earlier date.
        paths[FAMILY_DOWNLOADS_WINDOW], rows[FAMILY_DOWNLOADS_WINDOW] = write_partition(
            con,
            layout,
            FAMILY_DOWNLOADS_WINDOW,
            snapshot_date,
            load_sql("derivatives/family_downloads_window"),
            {
                "current": literal_path(models),
                "paths": [literal_path(models)]
                + [literal_path(layout.table_partition("models", d)) for d in earlier_dates],
                "earlier_dates": earlier_dates,
                "snapshot_date": snapshot_date,
            },
        )
    return DerivativesResult(snapshot_date, rows, paths, earlier)


def _manifest_counts(raw_dir: Path) -> dict[str, Any]:
    """What the crawl's manifest says about the day: source, records received, reported total.

    A count the manifest lacks (a snapshot written by hand, an older crawl) is None, never 0.
    """
    path = raw_dir / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict):
        return {"source": None, "listed": None, "reported_total": None}

    def count(key: str) -> int | None:
        value = manifest.get(key)
        # bool is an int in Python; a manifest saying `true` holds no count
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    models, rejected = count("model_count"), count("rejected_count")
    source = manifest.get("source")
    return {
        "source": source if isinstance(source, str) else None,
        "listed": models + rejected if models is not None and rejected is not None else None,
        "reported_total": count("reported_total"),
    }


def build_reconciliation(
    layout: Layout, snapshot_date: date, conn: duckdb.DuckDBPyConnection | None = None
) -> tuple[Path, int]:
    """Write the `reconciliation` row of `snapshot_date`; return (path, rows)."""
    staged = _require(layout, "models_staged", snapshot_date)
    quarantine = _require(layout, "quarantine", snapshot_date)
    with connection(conn) as con:
        return write_partition(
            con,
            layout,
            RECONCILIATION,
            snapshot_date,
            load_sql("reconciliation/reconciliation"),
            {
                "staged": literal_path(staged),
                "quarantine": literal_path(quarantine),
                "snapshot_date": snapshot_date,
                **_manifest_counts(layout.raw_models(snapshot_date)),
            },
        )
