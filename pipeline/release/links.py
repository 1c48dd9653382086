"""The paths that point at releases: `releases/.by-id/<release_id>/` and `latest`.

Both are brought up to date by a publish, under the publish lock, once the release directory has
appeared.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

from pipeline.paths import Layout
from pipeline.release.manifest import LATEST_FILE, LATEST_LINK, by_id_dir, release_dates
from pipeline.storage import atomic_write_text, fsync_dir, fsync_file, replace_symlink


def link_file(source: Path, target: Path) -> None:
    try:
        # Release files are never modified, so a hard link is as good as a copy.
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
        fsync_file(target)


def link_by_id(layout: Layout, snapshot_date: date, manifest: dict) -> None:
    """`releases/.by-id/<release_id>/`: what the catalog's views read.

    A forced replacement changes what `releases/<date>/` holds; a reader still using the
    previous catalog keeps reading the previous release's files through these paths.
    """
    target = by_id_dir(layout, manifest["release_id"])
    if target.is_dir():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    # A directory, so not `atomic_target`: filled under a hidden name, then renamed whole.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for name, meta in manifest["files"].items():
        if "table" in meta:
            link_file(layout.release(snapshot_date) / name, tmp / name)
    fsync_dir(tmp)
    os.rename(tmp, target)
    fsync_dir(target.parent)


def update_latest(layout: Layout) -> date | None:
    """Point `LATEST` and the `latest` symlink at the newest complete release."""
    dates = release_dates(layout)
    if not dates:
        return None
    newest = dates[-1].isoformat()
    releases = layout.releases()
    pointer = releases / LATEST_FILE
    if not pointer.is_file() or pointer.read_text(encoding="utf-8").strip() != newest:
        atomic_write_text(pointer, newest + "\n")
    link = releases / LATEST_LINK
    if not (link.is_symlink() and os.readlink(link) == newest):
        replace_symlink(link, newest)
    return dates[-1]
