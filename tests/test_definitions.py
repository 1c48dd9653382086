"""The code location loads the way the README starts it, and the schedule asks for today."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from pipeline.definitions import defs

REPO = Path(__file__).resolve().parents[1]


def test_daily_job_holds_every_stage_and_one_partitions_definition():
    d = defs()
    job = d.resolve_job_def("daily_census")
    keys = {k.to_user_string() for k in d.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw_models", "models_staged", "quarantine"} <= keys
    assert job.partitions_def is not None
    assert job.partitions_def.timezone == "UTC"


def test_every_asset_states_its_grain():
    d = defs()
    for spec in d.resolve_all_asset_specs():
        assert spec.description, spec.key
        assert "one row per" in spec.description.lower() or "one json object per" in (
            spec.description.lower()
        ), f"{spec.key.to_user_string()} does not state its grain"


def test_schedule_tick_requests_the_day_it_runs():
    schedule = defs().resolve_schedule_def("daily_census_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    tick = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
        requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2026-03-10"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_workspace_yaml_loads_in_the_webserver(tmp_path):
    """What `dagster dev -w workspace.yaml` serves: the webserver loads the code location."""
    port = _free_port()
    # As the README starts it: the deployed instance settings in DAGSTER_HOME.
    (tmp_path / "dagster.yaml").write_text((REPO / "deploy" / "dagster.yaml").read_text())
    env = os.environ | {"DAGSTER_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dagster_webserver",
            "-w",
            "workspace.yaml",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    query = (
        "{ workspaceOrError { __typename ... on Workspace { locationEntries { name "
        "locationOrLoadError { __typename ... on PythonError { message } } } } } }"
    )
    try:
        deadline = time.monotonic() + 120
        body = None
        while time.monotonic() < deadline:
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/graphql",
                    data=json.dumps({"query": query}).encode(),
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(req, timeout=5) as resp:
                    body = json.load(resp)
                entries = body["data"]["workspaceOrError"]["locationEntries"]
                if entries and entries[0]["locationOrLoadError"] is not None:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            time.sleep(1)
        assert body is not None, "webserver never answered"
        entries = body["data"]["workspaceOrError"]["locationEntries"]
        assert [e["name"] for e in entries] == ["hub_census"]
        assert entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation", entries
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_deployed_instance_runs_one_run_per_date_at_a_time(tmp_path):
    (tmp_path / "dagster.yaml").write_text((REPO / "deploy" / "dagster.yaml").read_text())
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert limits == [
        {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    ]
