"""Small hostile listing servers on loopback: each answers with a function of the request and
records every request it got (path, headers with lower-case names), so a test can prove what
was sent and what was not."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.hub.fakehub import make_item

# Today (UTC) when the tests were collected: `run` refuses a live crawl of any other date before it
# sends a request, so tests that crawl through the CLI pin `run`'s today to this date (the
# `cli_today_is_live_day` fixture): a suite that crosses midnight UTC otherwise fails them.
LIVE_DAY = datetime.now(UTC).date()


@dataclass
class Hostile:
    url: str
    requests: list[dict] = field(default_factory=list)  # {"path": ..., "headers": {...}}


@contextmanager
def serve(respond: Callable[[BaseHTTPRequestHandler, int], None]) -> Iterator[Hostile]:
    """A server calling `respond(handler, n)` for its n-th request (1-based)."""
    hostile = Hostile("")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                hostile.requests.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}
                )
                n = len(hostile.requests)
            # the client giving up on us is what a deadline test wants
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                respond(self, n)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    hostile.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield hostile
    finally:
        httpd.shutdown()
        httpd.server_close()


def send_page(
    handler: BaseHTTPRequestHandler, ns: range | list[int], day: date, next_link: str | None
) -> None:
    """A listing page of the fake Hub's models `ns`, dated `day`, linking to `next_link`."""
    send_body(handler, json.dumps([make_item(n, day) for n in ns]).encode(), day, next_link)


def send_body(
    handler: BaseHTTPRequestHandler, body: bytes, day: date, next_link: str | None = None
) -> None:
    """A listing page whose body is `body` as it is, dated `day`, linking to `next_link`."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("X-Simulated-Date", day.isoformat())
    if next_link is not None:
        handler.send_header("Link", f'<{next_link}>; rel="next"')
    handler.end_headers()
    handler.wfile.write(body)
