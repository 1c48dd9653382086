"""A publish killed or failing at any moment leaves the previous release intact and no partial
release visible; the next publish cleans up and succeeds."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from pipeline.paths import Layout
from pipeline.release import (
    catalog,
    latest_release_date,
    publish,
    publish_release,
    query,
    rebuild_catalog,
    release_dates,
    verify_release,
)
from pipeline.release.catalog import CatalogError
from pipeline.release.demo import write_demo_warehouse

REPO = Path(__file__).resolve().parents[2]
D1, D2 = date(2025, 6, 1), date(2025, 6, 2)
VERSION = {"pipeline_version": "0.1.0", "source_commit": None}

CHILD = """
import sys
from datetime import date
from pathlib import Path
from pipeline.paths import Layout
from pipeline.release import publish_release
layout = Layout(Path(sys.argv[1]))
print("ready", flush=True)
day = date.fromisoformat(sys.argv[2])
publish_release(layout, day, pipeline_version="0.1.0", source_commit=None)
print("done", flush=True)
"""


def snapshot_bytes(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def visible_entries(layout: Layout) -> set[str]:
    return {p.name for p in layout.releases().iterdir() if not p.name.startswith(".")}


def hidden_leftovers(layout: Layout) -> list[Path]:
    return [
        *layout.releases().glob(".staging-*"),
        *layout.releases().glob(".*.tmp"),
        *layout.releases().glob(".by-id/.*.tmp"),
        *layout.root.glob(".catalog.duckdb.*"),
        *layout.root.glob("history/*/*/.data.parquet.*.tmp"),
    ]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """An output root with D1 published and D2's warehouse ready to publish."""
    root = tmp_path_factory.mktemp("crash") / "base"
    layout = Layout(root)
    write_demo_warehouse(layout, D1, n_models=8_000, seed=11)
    write_demo_warehouse(layout, D2, n_models=8_300, seed=11, n_previous=8_000)
    started = time.monotonic()
    publish_release(layout, D1, **VERSION)
    # D2 is about as large as D1: its publish takes about as long.
    duration = time.monotonic() - started
    return layout, snapshot_bytes(layout.release(D1)), duration


def copy_root(layout0: Layout, root: Path) -> Layout:
    shutil.copytree(layout0.root, root, symlinks=True)
    layout = Layout(root)
    # The catalog's views name absolute paths: the copy gets its own, or the sandboxed query
    # connection (which reads nothing outside its root) would refuse the baseline's files.
    rebuild_catalog(layout)
    return layout


def assert_consistent(layout: Layout, d1_bytes: dict[str, bytes]) -> None:
    assert verify_release(layout.release(D1)) == []
    assert snapshot_bytes(layout.release(D1)) == d1_bytes
    assert visible_entries(layout) <= {D1.isoformat(), D2.isoformat(), "LATEST", "latest"}
    if layout.release(D2).exists():
        # Visible means complete.
        assert verify_release(layout.release(D2)) == []
    assert latest_release_date(layout) in set(release_dates(layout))
    models = query("select count(*) as n from models", layout.root).to_pylist()[0]["n"]
    assert models in {8_000, 8_300}


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


@pytest.mark.parametrize(
    "trials", [3, pytest.param(12, marks=pytest.mark.slow)], ids=["3-trials", "12-trials"]
)
def test_publish_killed_at_random_moments(baseline, tmp_path, trials):
    layout0, d1_bytes, duration = baseline
    rng = random.Random(20250602 + trials)
    killed_midway = 0
    for trial in range(trials):
        root = tmp_path / f"trial{trial}"
        layout = copy_root(layout0, root)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root), D2.isoformat()],
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
            cwd=REPO,
        )
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0, duration * 1.1))
        child.send_signal(signal.SIGKILL)
        code = child.wait(timeout=60)
        killed_midway += code == -signal.SIGKILL
        assert_consistent(layout, d1_bytes)
        # The next publish cleans the leftovers and completes the release.
        result = publish_release(layout, D2, **VERSION)
        assert verify_release(layout.release(D2)) == []
        assert result.rows["models"] == 8_300
        assert hidden_leftovers(layout) == []
        assert latest_release_date(layout) == D2
    assert killed_midway >= trials // 2, "the kills should mostly land while the publish runs"


@pytest.mark.parametrize(
    ("module", "target"),
    [
        (publish, "_write_table"),
        (publish, "write_text_durably"),
        (publish, "fsync_dir"),
        (publish, "update_history"),
        (publish, "update_latest"),
        (catalog, "rebuild_catalog"),
    ],
)
def test_publish_failing_at_each_step(baseline, tmp_path, monkeypatch, module, target):
    layout0, d1_bytes, _ = baseline
    root = tmp_path / "out"
    layout = copy_root(layout0, root)
    calls = {"n": 0}
    original = getattr(module, target)

    def failing(*args, **kwargs):
        calls["n"] += 1
        # Let the first few calls through so the failure lands in the middle of the step.
        if calls["n"] >= 2 or target in {"update_history", "update_latest", "rebuild_catalog"}:
            raise OSError(f"injected failure in {target}")
        return original(*args, **kwargs)

    monkeypatch.setattr(module, target, failing)
    # A failed catalog rebuild comes after the release is published: it says so plainly.
    with pytest.raises((OSError, CatalogError), match="injected"):
        publish_release(layout, D2, **VERSION)
    monkeypatch.undo()
    assert_consistent(layout, d1_bytes)
    assert not list(layout.releases().glob(".staging-*"))
    result = publish_release(layout, D2, **VERSION)
    assert verify_release(layout.release(D2)) == []
    assert latest_release_date(layout) == D2
    assert query("select count(*) as n from models", root).to_pylist() == [{"n": 8_300}]
    assert result.rows["models"] == 8_300
