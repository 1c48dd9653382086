"""A backfill of several dates launched at once builds the same warehouse as the same dates run
one by one in date order.

Three recorded listings of one simulated world (`simulate export`, replayed through the `file`
hub mode) are run as three `hub-census run` processes started together, each a Dagster run of
one partition recorded in one real instance (DAGSTER_HOME), as a backfill launched from the UI
runs one run per partition. Whatever order they reach each stage in, the per-date locks, the
wait of the history stage for earlier dates and the rebuild of stale later days must leave every
warehouse partition with the rows a run in date order writes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.cli import main
from pipeline.simulator.export import export_listing
from pipeline.simulator.world import World, WorldConfig

REPO = Path(__file__).resolve().parents[1]
DAYS = [date(2025, 6, 1) + timedelta(days=i) for i in range(3)]


def _warehouse(out: Path) -> dict[str, list[tuple]]:
    """Every warehouse partition, by its path under the root, as its rows in sorted order."""
    tables = {}
    for path in sorted((out / "warehouse").glob("*/snapshot_date=*/data.parquet")):
        rows = duckdb.sql(
            "select * from read_parquet(?) order by all", params=[str(path)]
        ).fetchall()
        tables[str(path.relative_to(out))] = rows
    return tables


@pytest.mark.slow
def test_dates_launched_at_once_build_the_tables_of_a_run_in_date_order(tmp_path, monkeypatch):
    world = World(WorldConfig(seed=3, start_date=DAYS[0], n_models=300))
    files = {}
    for day in DAYS:
        files[day] = tmp_path / f"{day}.jsonl.gz"
        export_listing(world, day, files[day])

    # In date order, one after the other.
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home_in_order"))
    (tmp_path / "home_in_order").mkdir()
    in_order = tmp_path / "in_order"
    for day in DAYS:
        args = ["run", "--date", str(day), "--from-file", str(files[day]), "--out", str(in_order)]
        assert main(args) == 0

    # All at once: three processes started before any finishes, the latest date first.
    home = tmp_path / "home_at_once"
    home.mkdir()
    # The instance exists before the runs, as a deployed one does: three processes creating its
    # storage at the same moment would race on its schema, which is no part of a backfill.
    dg.DagsterInstance.from_config(str(home)).get_run_records()
    at_once = tmp_path / "at_once"
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    run = [sys.executable, "-m", "pipeline.cli", "run"]
    procs = [
        subprocess.Popen(
            [*run, "--date", str(day), "--from-file", str(files[day]), "--out", str(at_once)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for day in reversed(DAYS)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], "\n".join(o[-2000:] for o in outputs)

    # Each date was one Dagster run of the daily job in the instance, and each succeeded.
    instance = dg.DagsterInstance.from_config(str(home))
    runs = instance.get_run_records()
    assert sorted(r.dagster_run.tags["dagster/partition"] for r in runs) == [str(d) for d in DAYS]
    assert {r.dagster_run.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}

    expected = _warehouse(in_order)
    got = _warehouse(at_once)
    # Every table of every date is there (history's included), and nothing else.
    assert sorted(got) == sorted(expected)
    for day in DAYS:
        for table in ("models", "models_staged", "model_changes"):
            assert expected[f"warehouse/{table}/snapshot_date={day}/data.parquet"], (table, day)
    for key, rows in expected.items():
        assert got[key] == rows, f"{key} differs from the run in date order"
