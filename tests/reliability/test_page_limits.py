"""The crawl's page limits: more items than asked for, and a body too large to be a page."""

from __future__ import annotations

import gzip
import json
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import pipeline.hub.crawl as crawl_module
from pipeline.hub.crawl import CrawlError, RetryPolicy, crawl_models
from pipeline.hub.raw import RawSnapshot
from tests.hub.fakehub import make_item
from tests.hub.hostile import send_page

DAY = date(2025, 3, 1)
ASKED = 10
SENT = 14


class _OverflowingHub(BaseHTTPRequestHandler):
    """Answers every listing with SENT items whatever `limit` says, and no next page."""

    def do_GET(self) -> None:
        send_page(self, range(1, SENT + 1), DAY, None)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def hub_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OverflowingHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _fast() -> RetryPolicy:
    return RetryPolicy(base_delay=0.0, max_delay=0.0, sleep=lambda _s: None)


def test_items_beyond_the_page_size_are_rejected_not_loaded(hub_url, tmp_path):
    raw = tmp_path / "raw"
    manifest = crawl_models(hub_url, raw, DAY, page_size=ASKED, retry=_fast())
    snapshot = RawSnapshot(raw)
    loaded = [item["id"] for item in snapshot.iter_items()]
    assert loaded == [make_item(n, DAY)["id"] for n in range(1, ASKED + 1)]
    rejected = [
        json.loads(line)
        for line in gzip.decompress(snapshot.rejected_file().read_bytes()).splitlines()
    ]
    assert len(rejected) == SENT - ASKED == manifest.rejected_count
    assert all(r["reason"].startswith("page_overflow") for r in rejected)


def test_a_body_larger_than_a_page_can_be_stops_the_crawl(hub_url, tmp_path, monkeypatch):
    monkeypatch.setattr(crawl_module, "MAX_PAGE_BYTES", 1000)
    raw = tmp_path / "raw"
    with pytest.raises(CrawlError) as exc:
        crawl_models(hub_url, raw, DAY, page_size=ASKED, retry=_fast())
    assert "sent more than 1,000 bytes" in str(exc.value)
    assert not (raw / "_manifest.json").exists()
