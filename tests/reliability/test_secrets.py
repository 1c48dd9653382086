"""The Hub token is sent to the Hub and goes nowhere else: not into files under the output root,
logs, captured output, Dagster events and metadata, nor error messages, in a run that succeeds
and in runs that fail."""

from __future__ import annotations

import gzip
import json
import logging
import os
import subprocess
import sys
import threading
import traceback
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.cli import EXIT_FAILED, EXIT_OK, run_daily_job
from pipeline.hub.crawl import CrawlError, RetryPolicy, crawl_models
from pipeline.simulator.faults import FaultConfig
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.world import World, WorldConfig

DAY = date(2026, 3, 1)
FAKE_TOKEN = "hf_secretsTestFakeToken9876543210ZYXwvu"
REPO = Path(__file__).resolve().parents[2]


def assert_token_absent(root: Path, *texts: str) -> None:
    needle = FAKE_TOKEN.encode()
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            assert needle not in data, f"token found in {path}"
    for text in texts:
        assert FAKE_TOKEN not in text


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=5, start_date=DAY, n_models=300))


def _events_text(result) -> str:
    parts = []
    for event in result.all_events:
        parts.append(repr(event))
        if event.is_step_materialization:
            parts.append(repr(event.step_materialization_data.materialization.metadata))
    return "\n".join(parts)


def test_a_successful_run_leaks_the_token_nowhere(world, tmp_path, monkeypatch, caplog, capfd):
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    caplog.set_level(logging.DEBUG)
    with SimulatedHub(world.state(DAY)) as hub:
        outcome = run_daily_job(DAY, tmp_path, {"mode": "api", "endpoint": hub.url})
        listing = [r for r in hub.request_log if r.path == "/api/models"]
    assert outcome.exit_code == EXIT_OK, outcome.summary()
    assert listing and all(r.authorized for r in listing)  # it was sent, to the Hub
    events = _events_text(outcome.result)
    assert "materialization" in events.lower()  # the metadata searched is really there
    out, err = capfd.readouterr()
    assert_token_absent(tmp_path, events, caplog.text, out, err, outcome.summary())


class _EchoingRefusal(BaseHTTPRequestHandler):
    """A server that refuses the token and, carelessly, quotes the headers it got back in the
    body (in a response header it would reach httpcore's own DEBUG log, outside our control)."""

    def do_GET(self) -> None:
        body = json.dumps({"error": f"Invalid credentials: {dict(self.headers)}"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def echoing_server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingRefusal)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_refused_run_leaks_the_token_nowhere(
    echoing_server, tmp_path, monkeypatch, caplog, capfd
):
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    caplog.set_level(logging.DEBUG)
    outcome = run_daily_job(DAY, tmp_path, {"mode": "api", "endpoint": echoing_server})
    assert outcome.exit_code == EXIT_FAILED
    assert "401" in outcome.summary()
    out, err = capfd.readouterr()
    assert_token_absent(
        tmp_path, _events_text(outcome.result), caplog.text, out, err, outcome.summary()
    )


def test_a_crawl_giving_up_leaks_the_token_nowhere(world, tmp_path, echoing_server):
    raw = tmp_path / "raw"
    policy = RetryPolicy(max_attempts_per_request=3, total_retry_budget=2, sleep=lambda s: None)
    faults = FaultConfig(rate_5xx=1.0)
    with SimulatedHub(world.state(DAY), faults=faults) as hub, pytest.raises(CrawlError) as failed:
        crawl_models(hub.url, raw, DAY, token=FAKE_TOKEN, retry=policy)
    with pytest.raises(CrawlError) as refused:
        crawl_models(echoing_server, raw, DAY, token=FAKE_TOKEN, retry=policy)
    texts = ["".join(traceback.format_exception(exc.value)) for exc in (failed, refused)]
    assert "giving up" in texts[0] and "401" in texts[1]
    assert_token_absent(tmp_path, *texts)


def test_the_token_from_huggingface_hubs_store_is_used_and_not_leaked(world, tmp_path):
    """HF_TOKEN unset: huggingface_hub reads $HF_HOME/token. A fresh process, because the
    library fixes its paths at import."""
    hf_home = tmp_path / "hf_home"
    hf_home.mkdir()
    (hf_home / "token").write_text(FAKE_TOKEN)
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["HF_HOME"] = str(hf_home)
    with SimulatedHub(world.state(DAY)) as hub:
        code = (
            "import sys; from datetime import date; from pathlib import Path;"
            "from pipeline.hub.crawl import crawl_models;"
            f"m = crawl_models({hub.url!r}, Path(sys.argv[1]), date.fromisoformat({str(DAY)!r}));"
            "print(m.model_count)"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code, str(out)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        listing = [r for r in hub.request_log if r.path == "/api/models"]
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) == len(list(world.state(DAY).iter_items()))
    assert listing and all(r.authorized for r in listing)
    assert_token_absent(out, proc.stdout, proc.stderr)
    # the store stays where huggingface_hub keeps it: only the token file we put there
    assert [p.name for p in hf_home.iterdir()] == ["token"]
