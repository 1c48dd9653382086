"""`history/<table>/day=D/data.parquet`: every release's files as one tree readers can scan.

Each file is a hard link to (or, across file systems, a copy of) the release's file, so the tree
costs no space and a history file is byte for byte the release's. Brought up to date by a
publish, under the publish lock.
"""

from __future__ import annotations

import os
import shutil
from datetime import date

from pipeline.contract import Contract
from pipeline.paths import Layout
from pipeline.release.links import link_file
from pipeline.release.manifest import read_manifest, release_dates
from pipeline.storage import atomic_target


def update_history(layout: Layout, snapshot_date: date, manifest: dict, contract: Contract) -> None:
    """Link the release's files into `history/<table>/day=D/data.parquet`."""
    _drop_old_history_layout(layout)
    release_dir = layout.release(snapshot_date)
    published = {meta["table"]: name for name, meta in manifest["files"].items() if "table" in meta}
    for table in contract.tables:
        target = layout.history_partition(table, snapshot_date)
        if table not in published:
            # A forced replacement may drop a table; its old history partition must go too.
            if target.exists():
                target.unlink()
            continue
        source = release_dir / published[table]
        if target.exists() and os.path.samefile(source, target):
            continue
        with atomic_target(target) as tmp:
            link_file(source, tmp)


def _drop_old_history_layout(layout: Layout) -> None:
    """Re-link an output root written before `history/` was keyed by `day=`.

    Folders keyed `snapshot_date=` (the column's name) made the tree unreadable by pandas and
    pyarrow; every release still holds its files, so the history is re-linked from them.
    """
    history = layout.root / "history"
    old = list(history.glob("*/snapshot_date=*")) if history.is_dir() else []
    if not old:
        return
    for day in release_dates(layout):
        manifest = read_manifest(layout.release(day))
        for name, meta in manifest["files"].items():
            if "table" not in meta:
                continue
            target = layout.history_partition(meta["table"], day)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                link_file(layout.release(day) / name, target)
    for path in old:
        shutil.rmtree(path)
