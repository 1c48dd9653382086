"""Holes found by the second adversarial trial of issue 13 (see RELIABILITY.md): a redirect to
another origin, a next link carrying a user name, a cursor loop whose URL differs on every page,
and a never-ending listing on a first snapshot. Truth is each server's own request log."""

from __future__ import annotations

import pytest

from pipeline.cli import EXIT_FAILED, main
from pipeline.defs.resources import HubSource
from pipeline.hub.crawl import CrawlError, crawl_models
from pipeline.hub.raw import MANIFEST, page_bound
from pipeline.paths import Layout
from tests.hub.hostile import send_page, serve
from tests.hub.test_hostile_servers import DAY, LOG, TOKEN, _endless, fast, pages_on_disk

pytestmark = pytest.mark.usefixtures("cli_today_is_live_day")


def _redirect(handler, location: str, status: int) -> None:
    handler.send_response(status)
    handler.send_header("Location", location)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("when", ["first", "second"])
def test_a_redirect_to_another_origin_gets_no_request(tmp_path, status, when):
    """On the old code the HTTP client followed the redirect (dropping the token) and the other
    origin's models were published as part of the day."""
    with serve(lambda h, n: send_page(h, range(100, 103), DAY, None)) as foreign:
        away = foreign.url.replace("127.0.0.1", "localhost") + "/api/models?cursor=x"

        def respond(handler, n):
            if when == "second" and n == 1:
                send_page(handler, range(1, 4), DAY, "/api/models?cursor=2")
            else:
                _redirect(handler, away, status)

        with serve(respond) as hub, pytest.raises(CrawlError, match="another origin") as failed:
            crawl_models(hub.url, tmp_path / "raw", DAY, token=TOKEN, retry=fast())
    assert foreign.requests == []
    assert "redirects a listing request" in str(failed.value)
    assert not (tmp_path / "raw" / MANIFEST).exists()


def test_the_cli_stops_a_day_redirected_elsewhere(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with serve(lambda h, n: send_page(h, range(100, 103), DAY, None)) as foreign:
        away = foreign.url.replace("127.0.0.1", "localhost") + "/api/models"
        with serve(lambda h, n: _redirect(h, away, 307)) as hub:
            code = main(["run", "--endpoint", hub.url, "--out", str(tmp_path), "--no-progress"])
    out, err = capsys.readouterr()
    assert code == EXIT_FAILED and foreign.requests == []
    assert "Traceback" not in out + err
    assert not Layout(tmp_path).releases().exists()


def test_a_same_origin_redirect_is_followed_with_the_token(tmp_path):
    def respond(handler, n):
        if n == 1:
            _redirect(handler, "/api/models?cursor=moved", 307)
        else:
            send_page(handler, range(1, 4), DAY, None)

    with serve(respond) as hub:
        manifest = crawl_models(hub.url, tmp_path / "raw", DAY, token=TOKEN, retry=fast())
    assert manifest.model_count == 3
    assert hub.requests[1]["path"] == "/api/models?cursor=moved"
    assert hub.requests[1]["headers"]["authorization"] == f"Bearer {TOKEN}"


def test_endless_same_origin_redirects_stop(tmp_path):
    with (
        serve(lambda h, n: _redirect(h, f"/api/models?hop={n}", 302)) as hub,
        pytest.raises(CrawlError, match="redirected a listing request more than 5 times"),
    ):
        crawl_models(hub.url, tmp_path / "raw", DAY, token=TOKEN, retry=fast())
    assert len(hub.requests) == 6


def test_a_next_link_with_a_user_name_is_refused(tmp_path):
    """On the old code the client sent `Authorization: Basic` with the link's user and password
    in place of the token, and the crawl went on."""

    def respond(handler, n):
        port = handler.server.server_address[1]
        link = f"http://u:p@127.0.0.1:{port}/api/models?cursor=2" if n == 1 else None
        send_page(handler, range(3 * n - 2, 3 * n + 1), DAY, link)

    with serve(respond) as hub, pytest.raises(CrawlError, match="user name or password"):
        crawl_models(hub.url, tmp_path / "raw", DAY, token=TOKEN, retry=fast())
    assert len(hub.requests) == 1


def test_a_cursor_loop_with_a_new_url_each_page_stops_a_first_crawl(tmp_path, capsys):
    """Each next link adds `&x=1`, so no URL repeats; the pages repeat. The server gives up after
    50 pages so that the old code (which published those 50 pages) ended."""

    def respond(handler, n):
        send_page(handler, range(1, 4), DAY, handler.path + "&x=1" if n < 50 else None)

    with serve(respond) as hub:
        code = main(["run", "--endpoint", hub.url, "--out", str(tmp_path), "--no-progress"])
        # the day's dataset listing loops the same way and is stopped the same way
        requested = sum(r["path"].startswith("/api/models") for r in hub.requests)
    out, err = capsys.readouterr()
    assert code == EXIT_FAILED and requested == 2
    assert "cursor loop" in out and "Traceback" not in out + err
    assert not Layout(tmp_path).releases().exists()


def test_a_first_snapshot_is_bounded_too(tmp_path):
    """No earlier snapshot: the bound is what 10 million models take, plus 10 pages (10,010 pages
    of 1,000). At a page size of 1,000,000 that is 20 pages: the 60-page listing of fresh models
    (which the old code crawled to its end) stops there."""
    raw = Layout(tmp_path).raw_models(DAY)
    assert page_bound(raw, DAY, 1000) == 10_010
    with serve(_endless) as hub:
        source = HubSource(endpoint=hub.url, page_size=1_000_000)
        with pytest.raises(CrawlError, match="bound of 20 pages"):
            source.snapshot(raw, DAY, force=False, log=LOG)
        assert len(hub.requests) == 20
    assert pages_on_disk(raw) <= 20 and not (raw / MANIFEST).exists()
