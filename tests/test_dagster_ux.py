"""Dagster as a user sees it (issue 15, item 7): CLI runs are recorded in the instance that
DAGSTER_HOME names (so `dagster dev` with it shows them), a simulated code location's partitions
start with its world, and a date built after a later one says in the run's metadata which later
days it rebuilt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from pipeline.cli import main, utc_today
from pipeline.simulator.export import main_export

REPO = Path(__file__).resolve().parents[1]


def test_runs_out_of_order_are_in_the_instance_and_flag_the_rebuilt_day(
    tmp_path, monkeypatch, capsys
):
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    out = tmp_path / "out"
    day1, day2 = date(2025, 6, 1), date(2025, 6, 2)
    files = {}
    for day in (day1, day2):
        files[day] = tmp_path / f"{day}.jsonl.gz"
        main_export(models=200, day=day, out=files[day], seed=1)
    # The later date first, then the earlier one: the earlier run rebuilds the later day.
    for day in (day2, day1):
        code = main(["run", "--date", str(day), "--from-file", str(files[day]), "--out", str(out)])
        assert code == 0, capsys.readouterr()

    instance = dg.DagsterInstance.from_config(str(home))
    runs = instance.get_run_records()
    assert sorted(r.dagster_run.tags["dagster/partition"] for r in runs) == [
        str(day1),
        str(day2),
    ]
    assert {r.dagster_run.job_name for r in runs} == {"daily_census"}
    by_partition = {}
    for record in instance.fetch_materializations(dg.AssetKey("release"), limit=10).records:
        mat = record.asset_materialization
        by_partition[mat.partition] = mat.metadata
    assert by_partition[str(day1)]["rebuilt_stale_days"].value == [str(day2)]
    assert by_partition[str(day2)]["rebuilt_stale_days"].value == []
    assert by_partition[str(day1)]["stale_days_left"].value == []
    # The UI shows day 2's rebuilt tables and release as materialized again by day 1's run.
    runs_by_day = {r.dagster_run.tags["dagster/partition"]: r.dagster_run.run_id for r in runs}
    for key in ("models", "lineage_edges", "model_changes", "release"):
        records = instance.fetch_materializations(dg.AssetKey(key), limit=10).records
        of_day2 = {
            r.run_id: r.asset_materialization.metadata
            for r in records
            if r.asset_materialization.partition == str(day2)
        }
        assert set(of_day2) == {runs_by_day[str(day1)], runs_by_day[str(day2)]}, key
        again = of_day2[runs_by_day[str(day1)]]["built_again_in_the_run_of"].value
        assert again == str(day1), key
    # a table the rebuild does not write is not reported again
    staged = instance.fetch_materializations(dg.AssetKey("models_staged"), limit=10).records
    assert [r.asset_materialization.partition for r in staged].count(str(day2)) == 1


def _simulated_location(start: str, script: str, tmp_path: Path) -> dict:
    env = {**os.environ, "HUB_CENSUS_SIMULATED_FROM": start}
    env.pop("DAGSTER_HOME", None)
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


SCRIPT = """
import json, sys
import dagster as dg
from pipeline.definitions import defs

d = defs()
job = d.resolve_job_def("daily_census")
keys = job.partitions_def.get_partition_keys()
config = {"resources": {"hub": {"config": {"sim_models": 300}},
                        "output": {"config": {"path": sys.argv[1]}}}}
with dg.DagsterInstance.ephemeral() as instance:
    result = job.execute_in_process(run_config=config, partition_key=keys[0],
                                    instance=instance, raise_on_error=False)
print(json.dumps({"first": keys[0], "last": keys[-1], "ok": result.success}))
"""


def test_a_simulated_code_location_partitions_start_with_its_world(tmp_path):
    before = utc_today()
    start = before - timedelta(days=3)
    seen = _simulated_location(start.isoformat(), SCRIPT, tmp_path)
    assert seen["first"] == start.isoformat()  # not 2020-01-01
    # today, whichever side of midnight UTC the child process loaded its definitions on
    assert seen["last"] in {before.isoformat(), utc_today().isoformat()}
    # The first partition builds from the simulated world without further configuration.
    assert seen["ok"]
    manifest = json.loads(
        (tmp_path / "raw" / "models" / f"snapshot_date={start}" / "_manifest.json").read_text()
    )
    assert manifest["model_count"] == 300 and manifest["simulated"] is True


def test_a_bad_simulated_start_is_one_clear_error(tmp_path):
    env = {**os.environ, "HUB_CENSUS_SIMULATED_FROM": "soon"}
    done = subprocess.run(
        [sys.executable, "-c", "from pipeline.definitions import defs; defs()"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    assert done.returncode != 0
    assert "HUB_CENSUS_SIMULATED_FROM is not a date (YYYY-MM-DD): 'soon'" in done.stderr
