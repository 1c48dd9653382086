"""Servers that try to take the token elsewhere or to keep a crawl going forever (issue 13,
items 1-4): a next link to another origin, a password in the endpoint, a cursor loop, a listing
that never ends, a server that trickles its answer. Truth is each server's own request log."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from pathlib import Path

import pytest
from huggingface_hub import constants

from pipeline.cli import EXIT_FAILED, EXIT_USAGE, main
from pipeline.defs.resources import HubSource
from pipeline.hub.crawl import CrawlError, EndpointError, RetryPolicy, crawl_models
from pipeline.hub.raw import MANIFEST, RawSnapshot
from pipeline.hub.replay import replay_file
from pipeline.paths import Layout
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.world import World, WorldConfig
from tests.hub.fakehub import make_item
from tests.hub.hostile import LIVE_DAY, send_page, serve

pytestmark = pytest.mark.usefixtures("cli_today_is_live_day")

DAY = LIVE_DAY
TOKEN = "hf_hostileTestFakeToken0123456789abcdef"
LOG = logging.getLogger("test")


def fast(**kw) -> RetryPolicy:
    return RetryPolicy(base_delay=0.0, max_delay=0.0, sleep=lambda _s: None, **kw)


def pages_on_disk(raw: Path) -> int:
    return len(list(raw.glob("page-*.jsonl.gz")))


# --- 1. the token follows no foreign link ------------------------------------------------------


def test_a_next_link_to_another_port_gets_no_request(tmp_path):
    with serve(lambda h, n: send_page(h, range(1, 4), DAY, None)) as foreign:
        link = f"{foreign.url}/api/models?cursor=stolen"
        with (
            serve(lambda h, n: send_page(h, range(1, 4), DAY, link)) as hub,
            pytest.raises(CrawlError) as failed,
        ):
            crawl_models(hub.url, tmp_path / "raw", DAY, token=TOKEN, retry=fast())
    assert foreign.requests == []  # nothing at all, so no Authorization header either
    assert hub.requests[0]["headers"]["authorization"] == f"Bearer {TOKEN}"
    message = str(failed.value)
    assert f"links its next listing page to {foreign.url}" in message
    assert "no request was sent there" in message and TOKEN not in message
    assert "not published" in message
    assert not (tmp_path / "raw" / MANIFEST).exists()


@pytest.mark.parametrize("foreign", ["http://localhost:{port}", "https://127.0.0.1:{port}"])
def test_a_next_link_to_another_host_or_scheme_is_refused(tmp_path, foreign):
    def respond(handler, n):
        # localhost is this very server: the old code kept following it, until page 5 here
        port = handler.server.server_address[1]
        link = foreign.format(port=port) + f"/api/models?cursor={n + 1}" if n < 5 else None
        send_page(handler, range(3 * n - 2, 3 * n + 1), DAY, link)

    with serve(respond) as hub, pytest.raises(CrawlError, match="links its next listing page"):
        crawl_models(hub.url, tmp_path / "raw", DAY, token=TOKEN, retry=fast())
    assert len(hub.requests) == 1


def test_same_origin_links_in_other_spellings_are_followed(tmp_path):
    """A relative link, an upper-case scheme and host, and the default port written out are all
    the endpoint's origin (the live Hub links `https://huggingface.co/api/models?...`)."""

    def respond(handler, n):
        port = handler.server.server_address[1]
        links = {1: "/api/models?cursor=2", 2: f"HTTP://127.0.0.1:{port}/api/models?cursor=3"}
        send_page(handler, range(3 * n - 2, 3 * n + 1), DAY, links.get(n))

    with serve(respond) as hub:
        manifest = crawl_models(hub.url, tmp_path / "raw", DAY, token=TOKEN, retry=fast())
    assert manifest.model_count == 9 and manifest.pages == 3
    assert [r["path"].rpartition("cursor=")[2] for r in hub.requests[1:]] == ["2", "3"]
    assert all(r["headers"]["authorization"] == f"Bearer {TOKEN}" for r in hub.requests)
    from pipeline.hub.crawl import origin

    assert origin("https://huggingface.co") == origin("https://HuggingFace.co:443/api/models")
    assert origin("http://h:80/x") == origin("http://h") != origin("https://h")


def test_the_cli_stops_a_day_whose_next_link_is_foreign(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with serve(lambda h, n: send_page(h, range(1, 4), DAY, None)) as foreign:
        link = f"{foreign.url}/api/models?cursor=stolen"
        with serve(lambda h, n: send_page(h, range(1, 4), DAY, link)) as hub:
            code = main(["run", "--date", str(DAY), "--endpoint", hub.url, "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == EXIT_FAILED and foreign.requests == []
    assert f"{DAY}: failed" in out and "links its next listing page to" in out
    assert "Traceback" not in out + err
    assert not Layout(tmp_path).releases().exists()


# --- 2. no password in an endpoint ---------------------------------------------------------------

SECRET = "pw-s3cret-Hostile-41"


def test_an_endpoint_with_a_password_is_refused_and_written_nowhere(tmp_path, monkeypatch, capsys):
    """Through the CLI with a persistent Dagster instance: on the old code this run succeeded and
    the password was in the raw and release manifests and in the Dagster run storage."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    out_root = tmp_path / "out"
    world = World(WorldConfig(seed=5, start_date=DAY, n_models=200))
    with SimulatedHub(world.state(DAY)) as hub:
        endpoint = hub.url.replace("http://", f"http://census:{SECRET}@")
        code = main(["run", "--date", str(DAY), "--endpoint", endpoint, "--out", str(out_root)])
        requests = list(hub.request_log)
    out, err = capsys.readouterr()
    assert code == EXIT_USAGE and requests == []
    assert len(err.strip().splitlines()) == 1 and "HF_TOKEN" in err
    assert SECRET not in out + err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    "endpoint",
    [
        f"http://census:{SECRET}@127.0.0.1:9",
        f"http://{SECRET}@127.0.0.1:9",
        f"http://127.0.0.1:9/?token={SECRET}",
        f"http://127.0.0.1:9#{SECRET}",
    ],
)
def test_crawl_and_hub_resource_refuse_credentials_in_the_url(tmp_path, monkeypatch, endpoint):
    with pytest.raises(EndpointError) as refused:
        crawl_models(endpoint, tmp_path / "raw", DAY, retry=fast())
    assert SECRET not in str(refused.value) and "HF_TOKEN" in str(refused.value)
    # HF_ENDPOINT (read by huggingface_hub at import) is checked the same way
    monkeypatch.setattr(constants, "ENDPOINT", endpoint)
    with pytest.raises(EndpointError):
        crawl_models(None, tmp_path / "raw", DAY, retry=fast())
    monkeypatch.undo()
    with pytest.raises(CrawlError) as resource:
        HubSource(endpoint=endpoint).snapshot(tmp_path / "raw", DAY, force=False, log=LOG)
    assert SECRET not in str(resource.value)
    assert not (tmp_path / "raw").exists()


# --- 3. listings that never end --------------------------------------------------------------


@pytest.mark.parametrize("loop", ["same", "alternating"])
def test_a_cursor_loop_stops_the_crawl(tmp_path, loop):
    """The server gives up after 50 pages, so that the old code ended (having written 50
    pages) instead of hanging the test."""

    def respond(handler, n):
        port = handler.server.server_address[1]
        cursor = "a" if loop == "same" or n % 2 else "b"
        link = f"http://127.0.0.1:{port}/api/models?cursor={cursor}" if n < 50 else None
        send_page(handler, range(3 * n - 2, 3 * n + 1), DAY, link)

    with serve(respond) as hub, pytest.raises(CrawlError, match="cursor loop") as failed:
        crawl_models(hub.url, tmp_path / "raw", DAY, retry=fast())
    assert len(hub.requests) == {"same": 2, "alternating": 3}[loop]
    assert "not published" in str(failed.value)
    assert pages_on_disk(tmp_path / "raw") <= 3 and not (tmp_path / "raw" / MANIFEST).exists()


ENDLESS_PAGES = 60  # the "endless" listing ends here so that the old code finished


def _endless(handler, n):
    port = handler.server.server_address[1]
    link = f"http://127.0.0.1:{port}/api/models?cursor={n + 1}" if n < ENDLESS_PAGES else None
    send_page(handler, range(10 * n - 9, 10 * n + 1), DAY, link)


def test_more_pages_than_the_previous_snapshot_bound_stop_the_crawl(tmp_path):
    """Yesterday's complete snapshot has 50 models: at 10 a page that is 5 pages, so the bound is
    2 * 5 + 10 = 20 pages. `max_pages` overrides it; a first snapshot has no bound."""
    layout = Layout(tmp_path)
    listing = tmp_path / "yesterday.jsonl"
    yesterday = DAY - timedelta(days=1)
    listing.write_text("".join(f"{json.dumps(make_item(n, yesterday))}\n" for n in range(1, 51)))
    replay_file(listing, layout.raw_models(yesterday), yesterday)
    assert RawSnapshot(layout.raw_models(yesterday)).manifest().model_count == 50
    raw = layout.raw_models(DAY)

    with serve(_endless) as hub:
        source = HubSource(endpoint=hub.url, page_size=10)
        with pytest.raises(CrawlError, match="bound of 20 pages") as failed:
            source.snapshot(raw, DAY, force=False, log=LOG)
        assert len(hub.requests) == 20
    assert "--max-pages" in str(failed.value)
    assert pages_on_disk(raw) <= 20 and not (raw / MANIFEST).exists()

    with serve(_endless) as hub:
        override = HubSource(endpoint=hub.url, page_size=10, max_pages=ENDLESS_PAGES)
        manifest = override.snapshot(raw, DAY, force=True, log=LOG)
    assert manifest["pages"] == ENDLESS_PAGES and manifest["model_count"] == 10 * ENDLESS_PAGES

    first = Layout(tmp_path / "first").raw_models(DAY)
    with serve(_endless) as hub:
        manifest = HubSource(endpoint=hub.url, page_size=10).snapshot(
            first, DAY, force=False, log=LOG
        )
    assert manifest["pages"] == ENDLESS_PAGES


def test_the_cli_max_pages_stops_the_day(tmp_path, capsys):
    def endless_models(handler, n):
        # the day's dataset listing is crawled too: one empty page, so only models loop
        if handler.path.startswith("/api/datasets"):
            send_page(handler, range(0), DAY, None)
        else:
            _endless(handler, n)

    with serve(endless_models) as hub:
        args = ["--date", str(DAY), "--endpoint", hub.url, "--out", str(tmp_path)]
        code = main(["run", *args, "--max-pages", "3"])
        requested = sum(r["path"].startswith("/api/models") for r in hub.requests)
    out, err = capsys.readouterr()
    assert code == EXIT_FAILED and requested == 3
    assert "bound of 3 pages" in out and "Traceback" not in out + err
    assert not Layout(tmp_path).releases().exists()


# --- 4. a total deadline per request ---------------------------------------------------------


def _trickle(handler, *, headers_first: bool, every: float = 0.1) -> None:
    """One byte every `every` seconds, forever: each read is quick, the answer never ends."""
    if headers_first:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "1000000")
        handler.end_headers()
        handler.wfile.flush()
        data = b"[" + b" " * 10_000_000
    else:
        data = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"x" * 10_000_000
    for i in range(len(data)):
        handler.wfile.write(data[i : i + 1])
        handler.wfile.flush()
        time.sleep(every)


@pytest.mark.parametrize("headers_first", [True, False], ids=["body", "headers"])
def test_a_trickling_server_hits_the_deadline(tmp_path, headers_first):
    policy = fast(deadline=0.5, timeout=5.0, max_attempts_per_request=3)
    started = time.monotonic()
    with (
        serve(lambda h, n: _trickle(h, headers_first=headers_first)) as hub,
        pytest.raises(CrawlError, match=r"0\.5 s deadline") as failed,
    ):
        crawl_models(hub.url, tmp_path / "raw", DAY, retry=policy)
    elapsed = time.monotonic() - started
    assert len(hub.requests) == 3 and "3 attempts" in str(failed.value)
    assert elapsed < 3.0, elapsed  # 3 attempts of 0.5 s, not the 5 s read timeout even once


def test_deadline_hits_count_against_the_retry_budget(tmp_path):
    def respond(handler, n):
        if n <= 2:
            _trickle(handler, headers_first=True)
        else:
            send_page(handler, range(1, 6), DAY, None)

    with serve(respond) as hub:
        manifest = crawl_models(hub.url, tmp_path / "raw", DAY, retry=fast(deadline=0.5))
    assert manifest.model_count == 5 and manifest.requests == 3
    assert manifest.retries == 2 and manifest.dropped == 2

    with serve(respond) as hub, pytest.raises(CrawlError, match="retry budget of 1"):
        crawl_models(
            hub.url, tmp_path / "raw2", DAY, retry=fast(deadline=0.5, total_retry_budget=1)
        )
