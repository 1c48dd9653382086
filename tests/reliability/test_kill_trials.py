"""SIGKILL at random moments of the crawl, the build and the publish; then rerun.

Every trial copies a known starting state, starts the work in a child process, kills it with
SIGKILL after a seeded random delay drawn over the work's measured duration, reruns the work to
completion and compares with an uninterrupted run (independent truth: the fault-free crawl's
models, the uninterrupted build's rows, the previous release's bytes). The default run does 3
trials of each; `-m slow` runs 20 of each."""

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

import duckdb
import pytest

from pipeline.hub import RawSnapshot, RetryPolicy, crawl_models
from pipeline.hub.raw import MANIFEST
from pipeline.paths import Layout
from pipeline.release import latest_release_date, publish_release, query, verify_release
from pipeline.release.catalog import rebuild_catalog
from pipeline.release.demo import write_demo_warehouse
from pipeline.simulator.faults import FaultConfig
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.world import World, WorldConfig
from tests.reliability import _worker

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(_worker.__file__)
DAY = date(2026, 4, 1)
TRIALS = [3, pytest.param(20, marks=pytest.mark.slow)]
TRIAL_IDS = ["3-trials", "20-trials"]
BUILT_TABLES = (
    "models_staged",
    "quarantine",
    "model_licenses",
    "lineage_edges",
    "lineage_ancestry",
    "model_lineage",
    "models",
)


def start(*args: str) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
    assert child.stdout.readline().strip() == "ready"
    return child


def kill_after(child: subprocess.Popen, delay: float) -> bool:
    """SIGKILL `child` after `delay` s; True when it was still working (not already done)."""
    time.sleep(delay)
    alive = child.poll() is None
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    child.stdout.close()
    return alive and child.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=33, start_date=DAY, n_models=1_500))


@pytest.fixture(scope="module")
def clean_raw(world, tmp_path_factory) -> Path:
    """A fault-free crawl of DAY: the models every interrupted crawl must end with."""
    raw = tmp_path_factory.mktemp("clean") / "raw"
    with SimulatedHub(world.state(DAY)) as hub:
        crawl_models(hub.url, raw, DAY, page_size=50)
    return raw


def pairs(raw_dir: Path) -> list[tuple[str, str]]:
    return [(item["id"], item["_id"]) for item in RawSnapshot(raw_dir).iter_items()]


@pytest.mark.parametrize("trials", TRIALS, ids=TRIAL_IDS)
def test_crawl_killed_at_random_moments(world, clean_raw, tmp_path, trials):
    truth = pairs(clean_raw)
    rng = random.Random(1000 + trials)
    # Slow pages (30 ms each) stretch the 30-page crawl to about a second to kill into.
    faults = FaultConfig(rate_slow=1.0, slow_seconds=0.03)
    with SimulatedHub(world.state(DAY), faults=faults) as hub:
        # timed from "ready", as the kill times are drawn (the child's imports are no part)
        timing = start("crawl", hub.url, str(tmp_path / "timing"), DAY.isoformat())
        started = time.monotonic()
        timing.wait(timeout=120)
        timing.stdout.close()
        duration = time.monotonic() - started
        killed_midway = 0
        for trial in range(trials):
            raw = tmp_path / f"trial{trial}"
            child = start("crawl", hub.url, str(raw), DAY.isoformat())
            killed_midway += kill_after(child, rng.uniform(0, duration))
            # An interrupted snapshot is never complete; the rerun resumes and completes it.
            if child.returncode == -signal.SIGKILL:
                assert not (raw / MANIFEST).exists() or RawSnapshot(raw).is_complete()
            crawl_models(hub.url, raw, DAY, page_size=50, retry=RetryPolicy(sleep=lambda s: 0))
            got = pairs(raw)
            assert len(got) == len(set(got)) == len(truth), f"trial {trial}"
            assert set(got) == set(truth), f"trial {trial}"
            assert not list(raw.glob(".*.tmp"))
    print(f"FIGURES crawl trials={trials} killed_midway={killed_midway} models={len(truth)}")
    assert killed_midway >= trials // 2, "the kills should mostly land while the crawl runs"


def partition_rows(layout: Layout, table: str) -> list[tuple]:
    path = layout.table_partition(table, DAY)
    return sorted(
        duckdb.sql("select * from read_parquet(?)", params=[str(path)]).fetchall(), key=repr
    )


def timed_build(root: Path, clean_raw: Path) -> float:
    """Build DAY into a fresh `root` from the clean raw snapshot; the seconds after "ready"."""
    shutil.copytree(clean_raw, Layout(root).raw_models(DAY))
    child = start("build", str(root), DAY.isoformat())
    started = time.monotonic()
    assert child.wait(timeout=300) == 0
    child.stdout.close()
    return time.monotonic() - started


@pytest.fixture(scope="module")
def reference_build(clean_raw, tmp_path_factory):
    """An uninterrupted build of DAY from the clean raw snapshot, and how long a build takes.

    Timed from "ready", as the trials draw their kill times: timed from the start, the window
    held the child's imports too (about 0.3 s of 1 s), and in one run most kills landed after
    the build had ended (7 of 20). The faster of two builds, as the first may run cold.
    """
    root = tmp_path_factory.mktemp("ref") / "out"
    second = tmp_path_factory.mktemp("ref2") / "out"
    duration = min(timed_build(root, clean_raw), timed_build(second, clean_raw))
    layout = Layout(root)
    tables = sorted(p.parent.parent.name for p in root.glob("warehouse/*/*/data.parquet"))
    assert set(BUILT_TABLES) <= set(tables)
    return layout, duration, {t: partition_rows(layout, t) for t in tables}


@pytest.mark.parametrize("trials", TRIALS, ids=TRIAL_IDS)
def test_build_killed_at_random_moments(clean_raw, reference_build, tmp_path, trials):
    _, duration, ref_rows = reference_build
    rng = random.Random(2000 + trials)
    killed_midway = 0
    leftovers = 0
    for trial in range(trials):
        layout = Layout(tmp_path / f"trial{trial}")
        shutil.copytree(clean_raw, layout.raw_models(DAY))
        child = start("build", str(layout.root), DAY.isoformat())
        killed_midway += kill_after(child, rng.uniform(0, duration))
        # Whatever the kill left, every visible partition is a whole Parquet file.
        for path in layout.root.glob("warehouse/*/*/data.parquet"):
            duckdb.sql("select count(*) from read_parquet(?)", params=[str(path)]).fetchall()
        rerun = start("build", str(layout.root), DAY.isoformat())
        assert rerun.wait(timeout=300) == 0, f"trial {trial}: the rerun failed"
        rerun.stdout.close()
        # Every table of the day (history's too) holds the uninterrupted build's rows.
        for table in ref_rows:
            assert partition_rows(layout, table) == ref_rows[table], f"trial {trial}: {table}"
        # A killed writer's temp file is hidden (a dot name no reader globs); count them.
        leftovers += len(list(layout.root.rglob(".*.tmp")))
    print(
        f"FIGURES build trials={trials} killed_midway={killed_midway} "
        f"duration_s={duration:.1f} models={len(ref_rows['models'])} hidden_tmp_left={leftovers}"
    )
    assert killed_midway >= trials // 2, "the kills should mostly land while the build runs"


PUBLISH_CHILD = """
import sys
from datetime import date
from pathlib import Path
from pipeline.paths import Layout
from pipeline.release import publish_release
layout = Layout(Path(sys.argv[1]))
print("ready", flush=True)
publish_release(layout, date.fromisoformat(sys.argv[2]), pipeline_version="0.1.0",
                source_commit=None)
"""
D1, D2 = date(2025, 6, 1), date(2025, 6, 2)


@pytest.mark.slow
def test_publish_killed_at_20_random_moments(tmp_path):
    """The 20-trial form of tests/release/test_release_crash.py (3 trials by default there)."""
    base = Layout(tmp_path / "base")
    write_demo_warehouse(base, D1, n_models=3_000, seed=5)
    write_demo_warehouse(base, D2, n_models=3_100, seed=5, n_previous=3_000)
    started = time.monotonic()
    publish_release(base, D1, pipeline_version="0.1.0", source_commit=None)
    duration = time.monotonic() - started
    d1_bytes = {p.name: p.read_bytes() for p in sorted(base.release(D1).iterdir())}
    rng = random.Random(3020)
    killed_midway = 0
    for trial in range(20):
        layout = Layout(tmp_path / f"trial{trial}")
        shutil.copytree(base.root, layout.root, symlinks=True)
        # the catalog's views name their files by absolute path: a copied root gets its own
        rebuild_catalog(layout)
        child = subprocess.Popen(
            [sys.executable, "-c", PUBLISH_CHILD, str(layout.root), D2.isoformat()],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            cwd=REPO,
        )
        assert child.stdout.readline().strip() == "ready"
        killed_midway += kill_after(child, rng.uniform(0, duration * 1.1))
        # The previous release is byte for byte intact; a visible D2 is a whole, verified one.
        assert {p.name: p.read_bytes() for p in sorted(layout.release(D1).iterdir())} == d1_bytes
        assert verify_release(layout.release(D1)) == []
        if layout.release(D2).exists():
            assert verify_release(layout.release(D2)) == []
        n = query("select count(*) as n from models", layout.root).to_pylist()[0]["n"]
        assert n in {3_000, 3_100}
        publish_release(layout, D2, pipeline_version="0.1.0", source_commit=None)
        assert verify_release(layout.release(D2)) == []
        assert latest_release_date(layout) == D2
        assert query("select count(*) as n from models", layout.root).to_pylist() == [{"n": 3_100}]
    print(f"FIGURES publish trials=20 killed_midway={killed_midway} duration_s={duration:.1f}")
    assert killed_midway >= 10
