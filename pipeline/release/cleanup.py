"""Removing what a killed publish or catalog rebuild left behind.

Called with the publish lock held (pipeline.locks.publish_lock): no other publish is writing, so
every hidden staging directory and temporary file under `releases/`, beside the catalog and in
the history tree is debris.
"""

from __future__ import annotations

import shutil

from pipeline.paths import HISTORY_KEY, Layout
from pipeline.release.manifest import BY_ID_DIR

STAGING_PREFIX = ".staging-"


def remove_stale(layout: Layout) -> None:
    releases = layout.releases()
    for path in releases.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in releases.glob(".*.tmp"):
        path.unlink(missing_ok=True)
    for path in releases.glob(".*.link"):
        path.unlink(missing_ok=True)
    for path in releases.glob(f"{BY_ID_DIR}/.*.tmp"):
        shutil.rmtree(path, ignore_errors=True)
    for path in layout.root.glob(".catalog.duckdb.*.tmp*"):
        path.unlink(missing_ok=True)
    history = layout.root / "history"
    if history.is_dir():
        for path in history.glob(f"*/{HISTORY_KEY}=*/.data.parquet.*.tmp"):
            path.unlink(missing_ok=True)
