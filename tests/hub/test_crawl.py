"""The crawler against the simulated Hub over loopback: faults, resume after a crash or SIGKILL,
past-date refusal, state swaps mid-crawl. Truth is the fake state's ids and the server's log."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from pipeline.hub import (
    EXPAND,
    CrawlError,
    RawSnapshot,
    RetryPolicy,
    SnapshotDateError,
    crawl_models,
)
from pipeline.hub.raw import CHECKPOINT, MANIFEST
from pipeline.simulator.faults import FaultConfig
from pipeline.simulator.server import SimulatedHub
from tests.hub.conftest import DAY
from tests.hub.fakehub import make_item

REPO = Path(__file__).resolve().parents[2]


def no_sleep(record: list[float] | None = None) -> RetryPolicy:
    return RetryPolicy(sleep=(record.append if record is not None else lambda s: None), seed=0)


def crawled(raw_dir: Path) -> list[dict]:
    items = []
    for page in sorted(raw_dir.glob("page-*.jsonl.gz")):
        with gzip.open(page, "rt", encoding="utf-8") as f:
            items.extend(json.loads(line) for line in f)
    return items


def test_clean_crawl_writes_pages_and_manifest(state, tmp_path):
    raw = tmp_path / "raw"
    with SimulatedHub(state) as hub:
        manifest = crawl_models(hub.url, raw, DAY, page_size=400, retry=no_sleep())
        log = list(hub.request_log)
    items = crawled(raw)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)) == 2500 and set(ids) == state.ids()
    assert manifest.model_count == 2500 and manifest.pages == 7 and manifest.complete
    assert manifest.requests == len(log) == 7 and manifest.retries == 0
    assert not (raw / CHECKPOINT).exists()
    on_disk = json.loads((raw / MANIFEST).read_text())
    assert on_disk["client"].startswith("huggingface_hub ") and on_disk["source"] == "api"
    for f in manifest.files:
        data = (raw / f.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f.sha256 and len(data) == f.bytes
    # Items come back as the Hub sends them for our expand list: _id, id and those keys only.
    first = items[0]
    truth = make_item(1, DAY)
    assert set(first) == {"_id", "id"} | (set(EXPAND) & set(truth))
    assert (
        first["cardData"] == truth["cardData"]
        and first["downloadsAllTime"] == truth["downloadsAllTime"]
    )
    assert all(("expand", key) in _query_pairs(log[0].query) for key in EXPAND)
    assert "baseModels" not in EXPAND


def _query_pairs(query: str) -> set[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return set(parse_qsl(query))


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_crawl_survives_faults(state, tmp_path, rate):
    faults = FaultConfig(
        rate_429=rate / 5,
        rate_5xx=rate / 5,
        rate_truncate=rate / 5,
        rate_drop=rate / 5,
        rate_slow=rate / 5,
        slow_seconds=0.01,
        seed=5,
    )
    with SimulatedHub(state, faults=faults) as hub:
        manifest = crawl_models(hub.url, tmp_path, DAY, page_size=100, retry=no_sleep())
        log = list(hub.request_log)
    ids = [i["id"] for i in crawled(tmp_path)]
    assert len(ids) == len(set(ids)) and set(ids) == state.ids()
    faults_seen = Counter(r.fault for r in log)
    assert faults_seen["none"] + faults_seen["slow"] == 25  # one good answer per page
    assert manifest.requests == len(log)
    assert manifest.status_429 == faults_seen["429"]
    assert manifest.status_5xx == faults_seen["5xx"]
    assert manifest.dropped == faults_seen["drop"]
    assert manifest.truncated == faults_seen["truncate"]
    assert manifest.retries == len(log) - 25 > 0


def test_429_waits_what_the_server_asks(state, tmp_path):
    sleeps: list[float] = []
    faults = FaultConfig(rate_429=0.4, retry_after_seconds=7, seed=1)
    with SimulatedHub(state, faults=faults) as hub:
        manifest = crawl_models(hub.url, tmp_path, DAY, page_size=250, retry=no_sleep(sleeps))
        n429 = sum(r.status == 429 for r in hub.request_log)
    assert n429 > 0 and manifest.status_429 == n429
    assert sleeps == [7.0] * n429


def test_rate_limit_header_alone_gives_the_wait():
    import httpx2

    from pipeline.hub.crawl import _rate_limit_wait

    headers = httpx2.Headers({"RateLimit": '"api";r=0;t=42'})
    assert _rate_limit_wait(headers) == 42.0
    assert _rate_limit_wait(httpx2.Headers({"RateLimit": '"api";r=5;t=42'})) is None


def test_backoff_grows_and_is_capped(state, tmp_path):
    sleeps: list[float] = []
    policy = RetryPolicy(
        max_attempts_per_request=6, base_delay=1.0, max_delay=4.0, sleep=sleeps.append, seed=3
    )
    with SimulatedHub(state, faults=FaultConfig(rate_5xx=1.0)) as hub, pytest.raises(CrawlError):
        crawl_models(hub.url, tmp_path, DAY, retry=policy)
    caps = [1.0, 2.0, 4.0, 4.0, 4.0]
    assert len(sleeps) == 5
    assert all(cap / 2 <= s <= cap for s, cap in zip(sleeps, caps, strict=True))


def test_budget_exhausted_then_resume(state, tmp_path):
    token = "hf_SECRETtoken_do_not_leak"
    with SimulatedHub(state) as hub:

        def break_after_two(p):
            if p.pages == 2:
                hub.faults = FaultConfig(rate_5xx=0.5, rate_drop=0.5)

        policy = RetryPolicy(max_attempts_per_request=3, sleep=lambda s: None)
        with pytest.raises(CrawlError) as err:
            crawl_models(
                hub.url,
                tmp_path,
                DAY,
                page_size=300,
                retry=policy,
                progress=break_after_two,
                token=token,
            )
        failed_tries = [r for r in hub.request_log[2:]]
        message = str(err.value)
        assert "rerun the same command" in message and "resumes from page 3" in message
        assert "2 pages (600 models)" in message and "3 attempts" in message
        assert len(failed_tries) == 3
        assert not (tmp_path / MANIFEST).exists() and (tmp_path / CHECKPOINT).exists()
        assert token not in message and token not in (tmp_path / CHECKPOINT).read_text()
        assert all(r.authorized for r in hub.request_log)

        hub.faults = None
        manifest = crawl_models(hub.url, tmp_path, DAY, page_size=300, retry=policy, token=token)
    ids = [i["id"] for i in crawled(tmp_path)]
    assert len(ids) == len(set(ids)) and set(ids) == state.ids()
    assert manifest.model_count == 2500 and manifest.pages == 9
    assert manifest.requests == len(hub.request_log)  # counters carried across the two runs
    assert token not in (tmp_path / MANIFEST).read_text()


def test_total_retry_budget(state, tmp_path):
    policy = RetryPolicy(max_attempts_per_request=100, total_retry_budget=4, sleep=lambda s: None)
    with (
        SimulatedHub(state, faults=FaultConfig(rate_429=1.0)) as hub,
        pytest.raises(CrawlError) as err,
    ):
        crawl_models(hub.url, tmp_path, DAY, retry=policy)
    assert "retry budget of 4" in str(err.value) and "HTTP 429" in str(err.value)
    assert len(hub.request_log) == 5
    assert not tmp_path.joinpath(MANIFEST).exists()


class Crash(Exception):
    pass


def test_crash_after_a_page_resumes_exactly(state, tmp_path):
    def crash_at_4(p):
        if p.pages == 4:
            raise Crash

    with SimulatedHub(state) as hub:
        with pytest.raises(Crash):
            crawl_models(hub.url, tmp_path, DAY, page_size=200, progress=crash_at_4)
        # What a kill between a page's rename and its checkpoint leaves behind, plus a temp file.
        (tmp_path / "page-000005.jsonl.gz").write_bytes(
            (tmp_path / "page-000001.jsonl.gz").read_bytes()
        )
        (tmp_path / ".page-000006.jsonl.gz.123.tmp").write_bytes(b"partial")
        requests_before = len(hub.request_log)
        manifest = crawl_models(hub.url, tmp_path, DAY, page_size=200)
        resumed_queries = [r.query for r in hub.request_log[requests_before:]]
    ids = [i["id"] for i in crawled(tmp_path)]
    assert len(ids) == len(set(ids)) == 2500 and set(ids) == state.ids()
    assert manifest.pages == 13 and manifest.model_count == 2500
    assert len(resumed_queries) == 9 and all("cursor=" in q for q in resumed_queries)
    assert not list(tmp_path.glob(".*.tmp"))


def test_sigkill_mid_crawl_then_rerun(state, tmp_path):
    with SimulatedHub(state, faults=FaultConfig(rate_slow=1.0, slow_seconds=0.05)) as hub:
        script = textwrap.dedent(
            f"""
            import sys
            from datetime import date
            from pathlib import Path

            from pipeline.hub import crawl_models

            crawl_models(
                {hub.url!r}, Path({str(tmp_path)!r}), date({DAY.year}, {DAY.month}, {DAY.day}),
                page_size=100, progress=lambda p: print(p.pages, flush=True),
            )
            """
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True
        )
        try:
            for line in proc.stdout:
                if int(line) >= 6:
                    os.kill(proc.pid, signal.SIGKILL)
                    break
        finally:
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        assert not (tmp_path / MANIFEST).exists()
        checkpoint = json.loads((tmp_path / CHECKPOINT).read_text())
        assert 6 <= checkpoint["pages_done"] < 25
        hub.faults = None
        manifest = crawl_models(hub.url, tmp_path, DAY, page_size=100)
    ids = [i["id"] for i in crawled(tmp_path)]
    assert len(ids) == len(set(ids)) == 2500 and set(ids) == state.ids()
    assert manifest.pages == 25


def test_past_or_future_date_is_refused_before_writing(state, tmp_path):
    raw = tmp_path / "raw"
    with SimulatedHub(state) as hub:
        for day in (DAY - timedelta(days=1), DAY + timedelta(days=1)):
            with pytest.raises(SnapshotDateError, match="2025-03-01"):
                crawl_models(hub.url, raw, day)
    assert not raw.exists()


def test_live_hub_present_is_today(state, tmp_path):
    with SimulatedHub(state, announce_date=False) as hub:
        with pytest.raises(SnapshotDateError):
            crawl_models(hub.url, tmp_path / "a", DAY, today=lambda: DAY + timedelta(days=1))
        manifest = crawl_models(hub.url, tmp_path / "b", DAY, today=lambda: DAY)
    assert manifest.model_count == 2500
    assert not (tmp_path / "a").exists()


def test_complete_snapshot_is_reused_unless_forced(state, tmp_path):
    with SimulatedHub(state) as hub:
        first = crawl_models(hub.url, tmp_path, DAY)
        n = len(hub.request_log)
        again = crawl_models(hub.url, tmp_path, DAY)
        assert len(hub.request_log) == n and again == first
        forced = crawl_models(hub.url, tmp_path, DAY, force=True)
        assert len(hub.request_log) == n + 3
    assert forced.model_count == 2500
    assert RawSnapshot(tmp_path).is_complete()
    assert [p.name for p in RawSnapshot(tmp_path).page_files()] == [
        f"page-00000{i}.jsonl.gz" for i in (1, 2, 3)
    ]


def test_a_replayed_snapshot_is_not_taken_for_a_crawl(state, tmp_path):
    """A date whose raw snapshot was replayed from a recording is not what the Hub listed: a
    crawl of that date refuses it, asks nothing of the server and leaves it; forced, it crawls."""
    from pipeline.hub import replay_file

    recording = tmp_path / "recording.jsonl"
    recording.write_text(json.dumps(make_item(1, DAY)) + "\n")
    raw = tmp_path / "raw"
    replayed = replay_file(recording, raw, DAY)
    with SimulatedHub(state) as hub:
        with pytest.raises(CrawlError, match=r"replayed from a recording.*--force"):
            crawl_models(hub.url, raw, DAY)
        assert not hub.request_log
        assert RawSnapshot(raw).manifest() == replayed
        assert crawl_models(hub.url, raw, DAY, force=True).model_count == 2500


def test_a_crawl_of_another_endpoint_or_world_is_not_taken_for_this_one(state, tmp_path):
    """A complete snapshot is reused only for the endpoint it was crawled from, or, for a
    simulated Hub (a new port each run), for the world it served: another endpoint's or another
    world's listing is refused without a request and left as it was; forced, it crawls."""
    with SimulatedHub(state) as first, SimulatedHub(state) as second:
        crawled = crawl_models(first.url, tmp_path, DAY, world="(seed 0)")
        plain = tmp_path / "plain"
        crawl_models(first.url, plain, DAY)
        with pytest.raises(CrawlError, match=rf"crawled from {first.url}, and this crawl is of"):
            crawl_models(second.url, plain, DAY)
        # the same world on another port is the same listing
        assert crawl_models(second.url, tmp_path, DAY, world="(seed 0)") == crawled
        with pytest.raises(CrawlError, match=r"world \(seed 0\), and this crawl is of the "):
            crawl_models(second.url, tmp_path, DAY, world="(seed 1)")
        assert not second.request_log
        assert RawSnapshot(tmp_path).manifest() == crawled
        forced = crawl_models(second.url, tmp_path, DAY, world="(seed 1)", force=True)
    assert (forced.endpoint, forced.world, forced.model_count) == (second.url, "(seed 1)", 2500)


def test_checkpoint_of_another_crawl_is_not_mixed_in(state, tmp_path):
    with SimulatedHub(state) as hub:
        with pytest.raises(Crash):
            crawl_models(hub.url, tmp_path, DAY, page_size=500, progress=_raise)
        with pytest.raises(CrawlError, match="force=True"):
            crawl_models(hub.url + "/", tmp_path, DAY + timedelta(days=1))


def _raise(progress):
    raise Crash


def test_state_swap_mid_crawl_loses_nothing_on_both_days(state, tmp_path):
    day2 = state.next_day(deleted={10, 1500, 2000}, created=150, renamed={1800: "z/renamed-1800"})
    with SimulatedHub(state) as hub:

        def swap(p):
            if p.pages == 3:
                hub.set_state(day2)

        manifest = crawl_models(hub.url, tmp_path, DAY, page_size=400, progress=swap)
    items = crawled(tmp_path)
    hub_ids = [i["_id"] for i in items]
    assert len(hub_ids) == len(set(hub_ids)) == manifest.model_count
    assert state.hub_ids() & day2.hub_ids() <= set(hub_ids)
    assert set(hub_ids) <= state.hub_ids() | day2.hub_ids()
    # 10 was already crawled; 1500 and 2000 were deleted before the crawl reached them.
    assert manifest.model_count == 2500 - 2 + 150
    assert "z/renamed-1800" in {i["id"] for i in items}


def test_raw_snapshot_while_incomplete(state, tmp_path):
    with SimulatedHub(state) as hub, pytest.raises(Crash):
        crawl_models(hub.url, tmp_path, DAY, page_size=1000, progress=_raise)
    snapshot = RawSnapshot(tmp_path)
    assert not snapshot.is_complete()
    assert [p.name for p in snapshot.page_files()] == ["page-000001.jsonl.gz"]
    with pytest.raises(FileNotFoundError, match="incomplete"):
        snapshot.manifest()
    assert snapshot.rejected_file() is None
