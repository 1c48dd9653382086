"""`hub-census simulate serve` exposes the simulator's fault settings, and they take effect on
the running server (issue 13, item 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx2
import pytest

REPO = Path(__file__).resolve().parents[2]
SERVE = (sys.executable, "-m", "pipeline.cli", "simulate", "serve")
FAULT_OPTIONS = (
    "--rate-429",
    "--rate-5xx",
    "--rate-slow",
    "--slow-seconds",
    "--rate-truncate",
    "--rate-drop",
    "--retry-after",
    "--fault-seed",
)


def _cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        **kw,
    )


def test_serve_help_lists_every_fault_option():
    proc = _cli("simulate", "serve", "--help")
    assert proc.returncode == 0
    assert all(option in proc.stdout for option in FAULT_OPTIONS)


@pytest.mark.parametrize(
    ("options", "status", "header"),
    [
        (["--rate-429", "1", "--retry-after", "7"], {429}, ("Retry-After", "7")),
        (["--rate-5xx", "1", "--fault-seed", "3"], {500, 502, 503, 504}, None),
        ([], {200}, None),  # the reference: no fault unless asked for
    ],
)
def test_fault_options_take_effect(options, status, header):
    proc = subprocess.Popen(
        [*SERVE, "--port", "0", "--models", "30", "--date", "2026-03-01", *options],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        url = line.rsplit(" at ", 1)[1].strip()
        statuses = set()
        for _ in range(5):
            response = httpx2.get(f"{url}/api/models?limit=10", timeout=10)
            statuses.add(response.status_code)
            if header is not None:
                assert response.headers[header[0]] == header[1]
        assert statuses <= status and statuses
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize(
    ("options", "why"),
    [
        (["--rate-5xx", "0.7", "--rate-drop", "0.5"], "sum to at most 1"),
        (["--rate-drop", "1.5"], "a probability is at most 1"),
    ],
)
def test_impossible_fault_rates_are_refused(options, why):
    proc = _cli("simulate", "serve", "--port", "0", *options)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert "error:" in last and why in last
