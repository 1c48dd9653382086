"""Two runs for the same date and output root at once: one proceeds, the other stops at once with
exit code 4 and a message naming the date and the holder. The lock is per date and per root, taken
by the CLI for the whole daily run and by the raw_models asset around the crawl; the kernel frees
it when its holder dies, even by SIGKILL.

"A query running during a publish sees one whole release" is proved by
tests/release/test_release_catalog.py::test_queries_during_publish_see_one_release_and_never_fail."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.cli import EXIT_BUSY, EXIT_OK, main
from pipeline.defs.resources import HubSource, OutputRoot
from pipeline.defs.snapshot import raw_models
from pipeline.locks import DateBusyError, date_lock, lock_path
from pipeline.paths import Layout
from pipeline.simulator.export import export_listing
from pipeline.simulator.world import World, WorldConfig

REPO = Path(__file__).resolve().parents[2]
DAY = date(2026, 4, 1)
HOLDER = """
import sys
import time
from datetime import date
from pathlib import Path
from pipeline.locks import date_lock
from pipeline.paths import Layout
with date_lock(Layout(Path(sys.argv[1])), date.fromisoformat(sys.argv[2])):
    print("held", flush=True)
    sys.stdin.read()
"""


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


class Holder:
    """Another process holding the run lock of `day` under `root` until stopped."""

    def __init__(self, root: Path, day: date) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(root), day.isoformat()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
            cwd=REPO,
        )
        assert self.proc.stdout.readline().strip() == "held"

    def release(self) -> None:
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def listing(tmp_path_factory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("listing") / "day.jsonl.gz"
    world = World(WorldConfig(seed=41, start_date=DAY, n_models=1_200))
    return path, export_listing(world, DAY, path)["models"]


def run_args(listing: Path, out: Path, day: date = DAY) -> list[str]:
    return ["run", "--date", day.isoformat(), "--from-file", str(listing), "--out", str(out)]


def test_a_second_run_for_a_busy_date_stops_with_a_clear_message(listing, tmp_path, capsys):
    out = tmp_path / "out"
    holder = Holder(out, DAY)
    try:
        assert main(run_args(listing[0], out)) == EXIT_BUSY
        message = capsys.readouterr().out
        assert f"another run for {DAY} is in progress" in message
        assert f"process {holder.proc.pid}" in message and "rerun the same command" in message
        # The stopped run touched nothing of the day.
        assert not Layout(out).raw_models(DAY).exists()
        assert not (out / "warehouse").exists()
        # The lock is per date: another day under the same root is free.
        with date_lock(Layout(out), DAY + timedelta(days=1)):
            pass
    finally:
        holder.release()
    assert main(run_args(listing[0], out)) == EXIT_OK
    assert "ok:" in capsys.readouterr().out


@pytest.mark.slow
def test_two_cli_runs_at_once_one_proceeds_one_stops(listing, tmp_path):
    """Two real `hub-census run` processes started together (about 50 s on a loaded machine)."""
    path, n_models = listing
    out = tmp_path / "out"
    command = [sys.executable, "-m", "pipeline.cli", *run_args(path, out)]
    runs = [
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
            cwd=REPO,
        )
        for _ in range(2)
    ]
    results = [(r.wait(timeout=300), *r.communicate()) for r in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [EXIT_OK, EXIT_BUSY], results
    busy_out = next(o for code, o, _ in results if code == EXIT_BUSY)
    assert f"another run for {DAY} is in progress" in busy_out
    # The day holds each listed model once: the runs did not crawl or write over each other.
    ids = duckdb.sql(
        "select model_id from read_parquet(?)",
        params=[str(Layout(out).table_partition("models_staged", DAY))],
    ).fetchall()
    quarantined = duckdb.sql(
        "select count(*) from read_parquet(?)",
        params=[str(Layout(out).table_partition("quarantine", DAY))],
    ).fetchall()[0][0]
    # Every line of the listing is staged once or quarantined with a reason: none twice.
    assert len(ids) == len(set(ids)) and len(ids) + quarantined == n_models


def test_the_raw_models_asset_refuses_a_busy_partition(listing, tmp_path):
    """A Dagster run (UI, schedule, backfill) of a partition another process is crawling."""
    out = tmp_path / "out"
    resources = {
        "hub": HubSource(mode="file", from_file=str(listing[0])),
        "output": OutputRoot(path=str(out)),
    }
    holder = Holder(out, DAY)
    try:
        result = dg.materialize(
            [raw_models], partition_key=DAY.isoformat(), resources=resources, raise_on_error=False
        )
    finally:
        holder.release()
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert f"another run for {DAY} is in progress" in str(failure.step_failure_data)
    assert not Layout(out).raw_models(DAY).exists()
    result = dg.materialize([raw_models], partition_key=DAY.isoformat(), resources=resources)
    assert result.success


def test_a_killed_holder_frees_the_date(tmp_path):
    holder = Holder(tmp_path, DAY)
    with pytest.raises(DateBusyError, match=str(holder.proc.pid)), date_lock(Layout(tmp_path), DAY):
        pass
    holder.proc.send_signal(signal.SIGKILL)
    holder.proc.wait(timeout=30)
    holder.proc.stdout.close()
    # The lock file stays, but the kernel dropped the lock with its holder: no stale lock.
    assert lock_path(Layout(tmp_path), DAY).exists()
    # Nested in one process (the CLI's run around the asset's crawl) is allowed.
    with date_lock(Layout(tmp_path), DAY), date_lock(Layout(tmp_path), DAY):
        pass


# Runs for different dates side by side (issue 13, item 7): the history must be the one a run in
# date order computes. Independent truth: the same listings run one after the other, in order.
D8, D9, D10 = date(2026, 4, 8), date(2026, 4, 9), date(2026, 4, 10)
HISTORY = (
    "model_changes",
    "model_counters",
    "model_attribute_history",
    "ecosystem_daily",
    "creation_timeline",
)
RELEASED_HISTORY = ("model_changes", "ecosystem_daily")


@pytest.fixture(scope="module")
def three_days(tmp_path_factory) -> tuple[dict[date, Path], Path]:
    """Listings of three simulated days and the output root of a run in date order."""
    from tests.history.conftest import BUSY_SIMULATOR_RATES

    base = tmp_path_factory.mktemp("three_days")
    world = World(WorldConfig(seed=13, start_date=D8, n_models=400, **BUSY_SIMULATOR_RATES))
    listings = {}
    for day in (D8, D9, D10):
        listings[day] = base / f"{day}.jsonl.gz"
        export_listing(world, day, listings[day])
    in_order = base / "in_order"
    for day in (D8, D9, D10):
        assert main(run_args(listings[day], in_order, day)) == EXIT_OK
    return listings, in_order


def _rows(root: Path, table: str, day: date, *, released: bool = False) -> list[tuple]:
    layout = Layout(root)
    path = layout.table_partition(table, day)
    if released:
        path = layout.release(day) / f"{table}.parquet"
    rows = duckdb.sql("select * from read_parquet(?)", params=[str(path)]).fetchall()
    return sorted(rows, key=repr)


def assert_same_history(root: Path, in_order: Path) -> None:
    for day in (D9, D10):
        for table in HISTORY:
            assert _rows(root, table, day) == _rows(in_order, table, day), (table, day)
        for table in RELEASED_HISTORY:
            released = _rows(root, table, day, released=True)
            assert released == _rows(in_order, table, day, released=True), (table, day)
    # 04-10 was compared with 04-09, and its manifest names 04-09's release as the previous one.
    manifest = json.loads((Layout(root).release(D10) / "manifest.json").read_text())
    assert manifest["previous_release"]["snapshot_date"] == str(D9)


def test_a_date_built_before_an_earlier_one_is_rebuilt_when_it_arrives(three_days, tmp_path):
    listings, in_order = three_days
    # The comparison can tell the two histories apart: 08 -> 10 is not 09 -> 10.
    assert _rows(in_order, "model_changes", D10) != []
    out = tmp_path / "out"
    for day in (D8, D10, D9):
        assert main(run_args(listings[day], out, day)) == EXIT_OK
    assert_same_history(out, in_order)
    # 04-10's first release was replaced, and the replacement says so.
    manifest = json.loads((Layout(out).release(D10) / "manifest.json").read_text())
    assert (
        manifest["replaces"] is not None
        and "model_changes.parquet" in (manifest["replaces"]["changed_files"])
    )


def test_a_run_waits_for_an_earlier_date_then_gives_up_with_exit_4(three_days, tmp_path, capsys):
    listings, _ = three_days
    out = tmp_path / "out"
    assert main(run_args(listings[D8], out, D8)) == EXIT_OK
    holder = Holder(out, D9)
    mp = pytest.MonkeyPatch()
    mp.setenv("HUB_CENSUS_EARLIER_RUN_WAIT", "2")
    try:
        code = main(run_args(listings[D10], out, D10))
    finally:
        mp.undo()
        holder.release()
    captured = capsys.readouterr()
    assert code == EXIT_BUSY, captured.out
    assert f"waiting up to 2s for the run of {D9} (process {holder.proc.pid})" in captured.err
    assert "an earlier date is still being built" in captured.out
    assert not Layout(out).release(D10).exists()
    assert not Layout(out).table_partition("model_changes", D10).exists()


@pytest.mark.slow
def test_two_cli_runs_for_different_dates_at_once_match_the_runs_in_order(three_days, tmp_path):
    """The trial's case: 04-10 started one second before 04-09, both real processes."""
    listings, in_order = three_days
    out = tmp_path / "out"
    assert main(run_args(listings[D8], out, D8)) == EXIT_OK
    runs = []
    for day in (D10, D9):
        command = [sys.executable, "-m", "pipeline.cli", *run_args(listings[day], out, day)]
        runs.append(
            subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=child_env(),
                cwd=REPO,
            )
        )
        time.sleep(1)
    results = [(r.wait(timeout=600), *r.communicate()) for r in runs]
    assert [code for code, _, _ in results] == [EXIT_OK, EXIT_OK], results
    assert_same_history(out, in_order)


def test_gates_are_not_judged_against_the_snapshot_before_a_busy_earlier_date(
    three_days, tmp_path, capsys
):
    """Trial of issue 13: with 04-09 being built, 04-10's gates were judged against 04-08 (its
    gate records named 04-08's counts) before the history stage waited. Now the gates wait too."""
    listings, _ = three_days
    out = tmp_path / "out"
    assert main(run_args(listings[D8], out, D8)) == EXIT_OK
    holder = Holder(out, D9)
    mp = pytest.MonkeyPatch()
    mp.setenv("HUB_CENSUS_EARLIER_RUN_WAIT", "1")
    try:
        code = main(run_args(listings[D10], out, D10))
    finally:
        mp.undo()
        holder.release()
    captured = capsys.readouterr()
    assert code == EXIT_BUSY, captured.out
    assert not (out / "gates" / str(D10)).exists() or not any((out / "gates" / str(D10)).iterdir())
    assert not Layout(out).release(D10).exists()
