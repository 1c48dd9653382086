"""Crawl the Hub's model listing into a raw snapshot, page by page, resumable after any kill.

Each page is written to disk as it arrives (temp file + rename), then the checkpoint (next URL,
pages done, counters) is replaced: a crawl killed at any moment resumes from the last completed
page, and pages beyond the checkpoint are deleted first, so no model is lost or written twice.
At most one page is held in memory. `_manifest.json` is written last.

A page whose every item is plainly clean (the usual page) is not parsed in Python at all: DuckDB
reads the body in one bulk check (sql/hub/scan_clean_page.sql, the replay's conditions), Python
checks exactly only the few items SQL cannot clear of nesting too deep, and the page's lines are
the items' texts as the server sent them. Anything else (a bad item, more items than asked for,
a pretty-printed body, a body DuckDB cannot read) takes the exact item-by-item path, which sets
each bad item aside with its reason. As in the replay, an object with a key twice keeps both in
the page, and DuckDB then reads the first where Python's json read the last.

The Hub shows only its present: a snapshot can be crawled only for the endpoint's current day
(the live Hub's UTC date, or the day a simulator announces in `X-Simulated-Date`).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import random
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import duckdb
import httpx2
import huggingface_hub
from huggingface_hub import constants
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import (
    build_hf_headers,
    get_session,
    hf_raise_for_status,
    parse_ratelimit_headers,
)

from pipeline.clock import utc_today
from pipeline.hub.raw import (
    CHECKPOINT,
    MANIFEST,
    MAX_JSON_DEPTH,
    MAX_RECORD_BYTES,
    REJECTED,
    RawFile,
    RawManifest,
    RawSnapshot,
    clear_snapshot,
    encode_record,
    line_problem,
    page_name,
    rejected_record,
    remove_partial,
    too_deep,
    write_block_gz,
    write_json_atomic,
    write_jsonl_gz,
    write_lines_gz,
)
from pipeline.paths import literal_path
from pipeline.sql import load_sql

# Every field a later stage reads, asked for explicitly: without `expand` (or `full`) the listing
# returns only a default subset, and `expand` cannot be combined with `full`/`cardData`/`config`.
EXPAND: tuple[str, ...] = (
    "author",  # author column; legacy ids without an org ("gpt2") have no author in the id
    "cardData",  # license, license_name/link, base_model(+relation), datasets: the card's claims
    "createdAt",  # created_at and its 2022-03-02 placeholder flag
    "lastModified",  # last_modified: which repos changed since the last census
    "downloads",  # downloads_30d (a sliding 30-day window)
    "downloadsAllTime",  # downloads_all_time: only available through expand
    "likes",
    "trendingScore",
    "gated",  # access: no / auto / manual
    "disabled",
    "private",  # should always be false when listing anonymously; recorded to prove it
    "library_name",
    "pipeline_tag",
    "tags",  # license:<id> and base_model:<relation>:<id> tags: the Hub-resolved lineage edges
    "siblings",  # file names: formats (gguf, safetensors, onnx), LICENSE files, adapters
    "safetensors",  # parameter_count (safetensors.total)
    "gguf",  # gguf_present: quantized conversions
    "sha",  # the revision the metadata describes
)
# The dataset listing (`/api/datasets`): what the `datasets` and `model_datasets` tables read.
DATASET_EXPAND: tuple[str, ...] = (
    "author",
    "cardData",  # license, license_name, license_link
    "createdAt",
    "lastModified",
    "downloads",
    "likes",
    "gated",  # a gated dataset is not public data
    "private",  # dropped if ever listed: no row of a private repo is published
    "disabled",
    "tags",  # license:<id> tags
    "sha",
)
EXPAND_BY_KIND = {"models": EXPAND, "datasets": DATASET_EXPAND}
# Not asked for:
# - baseModels: refused by the listing endpoint (accepted only by /api/models/{id}, per
#   huggingface_hub PR #3182); the base_model:<relation>:<id> tags carry the same edges.
# - config: large (tokenizer configs carry whole chat templates) and no staged column needs it.
# - spaces, widgetData, model-index, transformersInfo, inference*, evalResults: not census fields;
#   usedStorage and childrenModelCount are refused when listing.

RETRY_STATUSES = frozenset({408, 500, 502, 503, 504})
# Redirects are followed by the crawler itself, only on the endpoint's origin and only this many
# in a row: the HTTP client would follow them anywhere (it drops the token, but the day would
# hold whatever the other origin sent).
MAX_REDIRECTS = 5
DEFAULT_PORTS = {"http": 80, "https": 443}
# A listing page is at most `limit` items of a few KB (the largest recorded item is 57 KB); a body
# beyond this is not a listing page, and reading on would only exhaust memory.
MAX_PAGE_BYTES = 256 << 20
# Python's json reads NaN, Infinity and lone surrogate escapes (\ud800) that no strict JSON reader,
# DuckDB's included, reads back, and a lone surrogate cannot even be encoded as UTF-8: a body that
# holds any of these has its items checked one by one (see strict_json_problem).
SUSPECT_JSON = re.compile(rb"NaN|Infinity|\\u[dD][89a-fA-F]")
# What Python's json reads as a JSON array (its blanks, then `[`): only such a body is given to
# DuckDB, which also reads an empty body (no items) or one after a byte order mark.
_ARRAY_START = re.compile(rb"[ \t\n\r]*\[")


class CrawlError(RuntimeError):
    """The crawl stopped; the message says what happened and how to resume."""


class SnapshotDateError(ValueError):
    """A snapshot was asked for a day the endpoint does not show (it shows only its present)."""


class EndpointError(CrawlError):
    """The endpoint URL is not one to send a token to (or to write into a manifest)."""


def check_endpoint(endpoint: str) -> None:
    """Refuse an endpoint that is not `http(s)://host[:port][/path]`.

    A user name or password in the URL would be written wherever the endpoint is (raw and release
    manifests, Dagster metadata), and a query or fragment could carry a secret the same way; the
    message never repeats the refused parts.
    """
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise EndpointError("the Hub endpoint is not a valid URL") from None
    shown = f"{parts.scheme}://{parts.hostname or ''}"
    if parts.username is not None or parts.password is not None:
        raise EndpointError(
            f"refusing the Hub endpoint {parts.scheme}://***@{parts.hostname}: it holds a user "
            "name or password, which would be written into the manifests; give the token in "
            "HF_TOKEN (or `hf auth login`) and the endpoint without credentials"
        )
    if parts.query or parts.fragment:
        raise EndpointError(
            f"refusing the Hub endpoint {shown}: it has a query or fragment (?… or #…); give "
            "only scheme://host[:port][/path], and any token in HF_TOKEN"
        )
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise EndpointError(
            f"the Hub endpoint must be an http:// or https:// URL with a host, got {shown!r}"
        )


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the default port filled in, compared case-insensitively."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme)


def _show_origin(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}" if port is not None else f"{scheme}://{host}"


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of one crawl run (a resumed run starts with a fresh budget).

    Delays grow as base_delay * 2**(attempt-1), capped at max_delay, with jitter drawn from a
    generator seeded by `seed`; a 429 waits what the server asks (Retry-After, or RateLimit t=).
    """

    max_attempts_per_request: int = 8
    total_retry_budget: int = 200
    base_delay: float = 1.0
    max_delay: float = 60.0
    timeout: float = 120.0  # per read: a server silent for this long has dropped the request
    # Per request, over connect, headers and the whole body: a server trickling a byte at a time
    # never trips the per-read timeout. A deadline hit is a fault like a dropped connection.
    deadline: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    seed: int | None = None


@dataclass(frozen=True)
class CrawlProgress:
    pages: int
    models: int
    requests: int
    retries: int
    status_429: int
    elapsed_s: float
    # The listing's size as the Hub reports it (X-Total-Count), when it does: a progress line
    # shows the share done and the time left.
    total: int | None = None


@dataclass
class _Counters:
    requests: int = 0
    retries: int = 0
    status_429: int = 0
    status_5xx: int = 0
    dropped: int = 0
    truncated: int = 0
    bytes: int = 0


@dataclass
class _Checkpoint:
    endpoint: str
    snapshot_date: str
    next_url: str
    pages_done: int = 0
    models: int = 0
    seconds: float = 0.0
    counters: _Counters = field(default_factory=_Counters)
    files: list[dict] = field(default_factory=list)
    # Items that were not JSON objects; rare, so kept here until rejected.jsonl.gz is written.
    rejected: list[dict] = field(default_factory=list)
    # A digest of every page URL requested: a link back to one of them is a cursor loop.
    seen: list[str] = field(default_factory=list)
    # A digest of the model ids of every non-empty page: a next link whose URL differs each time
    # (an added `&x=1`) but whose page repeats an earlier one is a cursor loop too.
    contents: list[str] = field(default_factory=list)
    # The first X-Total-Count seen: the Hub's own count of the listing, for the reconciliation.
    reported_total: int | None = None

    @classmethod
    def load(cls, path: Path) -> _Checkpoint:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["counters"] = _Counters(**data.get("counters", {}))
        return cls(**data)

    def save(self, path: Path) -> None:
        write_json_atomic(path, asdict(self), indent=None)


@dataclass(frozen=True)
class _CleanPage:
    """A page whose every item the bulk check found plainly clean, as the lines to write."""

    lines: bytes  # each item's text as the server sent it, one a line (JSON Lines)
    rows: int
    ids_digest: str | None  # see _ids_digest


@dataclass
class _Page:
    items: list[Any]  # parsed by Python's json, when the page is not `clean`
    next_url: str | None
    present: date | None  # the day the endpoint announces (X-Simulated-Date), if any
    suspect: bool = False  # the body may hold values strict JSON cannot carry
    total: int | None = None  # the listing's size as the Hub reports it (X-Total-Count)
    clean: _CleanPage | None = None


@dataclass
class _Attempt:
    """What one request brought: a page, or the problem that makes it worth a retry."""

    page: _Page | None = None
    problem: str = ""
    wait: float | None = None  # what the server asked to wait (429)
    counter: str | None = None  # the _Counters field the problem counts under
    bytes: int = 0
    redirect: str | None = None  # a same-origin Location to request instead


class _Stopped(Exception):
    """The request outlived its deadline; the thread reading it gives up."""


class _Fetcher:
    """GET one listing page with retries; counts what happened."""

    def __init__(
        self,
        endpoint: str,
        headers: dict[str, str],
        policy: RetryPolicy,
        counters: _Counters,
        context: Callable[[], str],
        scanner: _PageScanner,
    ) -> None:
        self.endpoint = endpoint
        self.headers = headers
        self.policy = policy
        self.scanner = scanner
        self.counters = counters
        self.context = context  # "N pages (M models) are saved..." for error messages
        self.run_retries = 0
        self.rng = random.Random(policy.seed)

    def get(self, url: str) -> _Page:
        attempt = 0
        redirects = 0
        while True:
            attempt += 1
            self.counters.requests += 1
            result = self._attempt(url)
            self.counters.bytes += result.bytes
            if result.page is not None:
                return result.page
            if result.redirect is not None:
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise CrawlError(
                        f"{_show_origin(url)} redirected a listing request more than "
                        f"{MAX_REDIRECTS} times in a row; the crawl stops and the day is not "
                        f"published. {self.context()}"
                    )
                url = result.redirect
                attempt = 0
                continue
            if result.counter is not None:
                setattr(self.counters, result.counter, getattr(self.counters, result.counter) + 1)
            self._before_retry(url, attempt, result.problem, result.wait)

    def _attempt(self, url: str) -> _Attempt:
        """One request under the total deadline.

        The request runs in its own thread so that the deadline holds in every phase (connect,
        headers, body) however slowly the server sends. At the deadline the thread is told to stop
        and its socket, when known, is shut down so that a blocked read returns at once.
        """
        outcome: list[_Attempt | BaseException] = []
        stop = threading.Event()
        streams: list[Any] = []
        worker = threading.Thread(
            target=self._request_into,
            args=(url, stop, streams, outcome),
            name="hub-request",
            daemon=True,
        )
        worker.start()
        worker.join(self.policy.deadline)
        if worker.is_alive():
            stop.set()
            for stream in streams:
                _shutdown(stream)
            return _Attempt(
                problem=f"no complete answer within the {self.policy.deadline:g} s deadline",
                counter="dropped",
            )
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _request_into(
        self, url: str, stop: threading.Event, streams: list[Any], outcome: list
    ) -> None:
        def trace(event: str, info: dict[str, Any]) -> None:
            if event == "connection.connect_tcp.complete":
                streams.append(info["return_value"])

        try:
            outcome.append(self._request(url, stop, streams, trace))
        except _Stopped:
            pass
        except BaseException as exc:  # handed to the waiting thread, which raises it
            outcome.append(exc)

    def _request(
        self, url: str, stop: threading.Event, streams: list[Any], trace: Callable
    ) -> _Attempt:
        try:
            with get_session().stream(
                "GET",
                url,
                headers=self.headers,
                timeout=self.policy.timeout,
                follow_redirects=False,  # see MAX_REDIRECTS
                extensions={"trace": trace},
            ) as response:
                if "network_stream" in response.extensions:  # a reused connection's socket
                    streams.append(response.extensions["network_stream"])
                try:
                    body = _read_bounded(response, MAX_PAGE_BYTES, stop)
                except _PageTooLarge as exc:
                    raise CrawlError(
                        f"{url} sent more than {exc.limit:,} bytes, far beyond any listing "
                        f"page; refusing to read it. {self.context()}"
                    ) from None
                except (httpx2.TransportError, httpx2.StreamError) as exc:
                    if stop.is_set():
                        raise _Stopped from None
                    return _Attempt(
                        problem=f"truncated body ({type(exc).__name__}: {exc})",
                        counter="truncated",
                    )
                attempt = self._interpret(url, response, body)
                attempt.bytes = len(body)
                return attempt
        except httpx2.TimeoutException as exc:
            return _Attempt(problem=f"timeout ({type(exc).__name__})", counter="dropped")
        except httpx2.TransportError as exc:
            if stop.is_set():
                raise _Stopped from None
            return _Attempt(
                problem=f"connection dropped ({type(exc).__name__}: {exc})", counter="dropped"
            )

    def _interpret(self, url: str, response: httpx2.Response, body: bytes) -> _Attempt:
        status = response.status_code
        if status == 429:
            return _Attempt(
                problem="HTTP 429 (rate limited)",
                wait=_rate_limit_wait(response.headers),
                counter="status_429",
            )
        if status in RETRY_STATUSES:
            return _Attempt(problem=f"HTTP {status}", counter="status_5xx")
        if 300 <= status < 400 and "Location" in response.headers:
            target = self._same_origin(
                url, response.headers["Location"], "redirects a listing request"
            )
            return _Attempt(redirect=target)
        if status >= 400:
            try:
                hf_raise_for_status(response)
            except HfHubHTTPError as exc:
                raise CrawlError(
                    f"the Hub refused {url} with HTTP {status}: {self._redact(str(exc))}. "
                    f"{self.context()}"
                ) from None
        clean = self.scanner.scan(body)
        items: Any = []
        if clean is None:
            try:
                try:
                    items = json.loads(body)
                except RecursionError:
                    # one item nested too deep for Python's json: read the page item by item
                    items = _items_one_by_one(body)
            except ValueError as exc:
                return _Attempt(problem=f"unreadable JSON body ({exc})", counter="truncated")
            if not isinstance(items, list):
                raise CrawlError(
                    f"{url} answered HTTP {status} with a JSON {type(items).__name__}, not the "
                    f"list of models a listing page holds. {self.context()}"
                )
        present = response.headers.get("X-Simulated-Date")
        try:
            present_day = date.fromisoformat(present) if present else None
        except ValueError:
            raise CrawlError(f"{url} sent an unreadable X-Simulated-Date {present!r}") from None
        next_url = self._next_url(url, response)
        # The Hub exposes X-Total-Count; a value that is not a plain count is not reported.
        total_text = response.headers.get("X-Total-Count", "").strip()
        total = (
            int(total_text)
            if total_text.isascii() and total_text.isdigit() and len(total_text) <= 18
            else None
        )
        suspect = clean is None and SUSPECT_JSON.search(body) is not None
        return _Attempt(page=_Page(items, next_url, present_day, suspect, total, clean))

    def _next_url(self, url: str, response: httpx2.Response) -> str | None:
        """The next page's URL, only if it is on the endpoint's own scheme, host and port.

        The token goes with every request, so a link elsewhere is never followed: whoever wrote
        it would receive the token and could make up the rest of the day's listing.
        """
        link = response.links.get("next", {}).get("url")
        if link is None:
            return None
        return self._same_origin(url, link, "links its next listing page")

    def _same_origin(self, url: str, link: str, what: str) -> str:
        """`link` made absolute against `url`, if it is on the endpoint's origin and carries no
        user name or password (which the client would send instead of the token)."""
        target = urljoin(url, link)  # a relative link is relative to the page it came from
        try:
            userinfo = urlsplit(target).username is not None
        except ValueError:
            userinfo = True
        if origin(target) != origin(self.endpoint) or userinfo:
            shown = _show_origin(target) + (" (with a user name or password)" if userinfo else "")
            raise CrawlError(
                f"the endpoint {_show_origin(self.endpoint)} {what} to {shown}, another origin "
                "or credentials: not followed, no request was sent there (the token goes only to "
                "the endpoint). The crawl stops and the day is not published."
            )
        return target

    def _redact(self, text: str) -> str:
        # a server may quote the credentials it refused; the token must not reach a message
        token = self.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return text.replace(token, "<token>") if token else text

    def _before_retry(self, url: str, attempt: int, problem: str, wait: float | None) -> None:
        policy = self.policy
        if (
            attempt >= policy.max_attempts_per_request
            or self.run_retries >= policy.total_retry_budget
        ):
            limit = (
                f"{attempt} attempts (max {policy.max_attempts_per_request} per request)"
                if attempt >= policy.max_attempts_per_request
                else f"the retry budget of {policy.total_retry_budget} retries for this run"
            )
            raise CrawlError(
                f"giving up on {url}: {problem} after {attempt} attempts; {limit} exhausted. "
                f"{self.context()}"
            )
        self.run_retries += 1
        self.counters.retries += 1
        if wait is None:
            backoff = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
            wait = backoff * (0.5 + 0.5 * self.rng.random())
        policy.sleep(wait)


def install_line_checks(conn: duckdb.DuckDBPyConnection) -> None:
    """The macros the crawl's and the replay's bulk checks share: `unclean_line` (what Python's
    json would refuse or read otherwise) and `maybe_too_deep` (sql/hub/create_*_macro.sql)."""
    conn.execute(load_sql("hub/create_unclean_line_macro"))
    conn.execute(load_sql("hub/create_maybe_too_deep_macro"))


class _PageScanner:
    """The bulk check of listing pages (sql/hub/scan_clean_page.sql) in one DuckDB database.

    Each scan runs on its own cursor: an attempt abandoned at its deadline may still be running
    one when the next attempt starts.
    """

    def __init__(self, page_size: int) -> None:
        self.page_size = page_size
        self._sql = load_sql("hub/scan_clean_page")
        # one connection for the whole crawl: opening one costs about 20 ms, a page's check less
        self._conn = duckdb.connect()
        install_line_checks(self._conn)
        self._dir = tempfile.TemporaryDirectory(prefix="hub-census-page-")
        self._names = itertools.count(1)  # next() is atomic: scans may overlap (see above)

    def __enter__(self) -> _PageScanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.close()
        self._dir.cleanup()

    def scan(self, body: bytes) -> _CleanPage | None:
        """The page's lines when every item is plainly clean and there are at most `page_size`;
        None when it needs the item-by-item path (or DuckDB cannot read the body)."""
        # DuckDB skips a vertical tab or form feed between items as a blank; JSON has no such
        # blank (and no raw control character inside a string), so Python's json says why not
        if not _ARRAY_START.match(body) or b"\x0b" in body or b"\x0c" in body:
            return None
        # a new name per page: DuckDB may cache what it read of a file by its name
        path = Path(self._dir.name) / f"page-{next(self._names)}.json"
        path.write_bytes(body)
        cursor = self._conn.cursor()
        try:
            params = {
                "path": literal_path(path),
                "max_bytes": MAX_RECORD_BYTES,
                "max_depth": MAX_JSON_DEPTH,
            }
            row = cursor.execute(self._sql, params).fetchone()
        except duckdb.Error:
            return None  # what DuckDB cannot read, Python's json reads or says why not
        finally:
            cursor.close()
            path.unlink()
        records, unclean, deep, ids_digest, lines = row
        if unclean or records > self.page_size:
            return None
        # the few items SQL could not clear of nesting too deep are measured exactly
        if deep and any(too_deep(line.encode()) for line in deep):
            return None
        return _CleanPage(lines or b"", records, ids_digest[:16] if ids_digest else None)


class _PageTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit


def _read_bounded(response: httpx2.Response, limit: int, stop: threading.Event) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _PageTooLarge(limit)
    body = bytearray()
    for chunk in response.iter_bytes():
        if stop.is_set():
            raise _Stopped
        body += chunk
        if len(body) > limit:
            raise _PageTooLarge(limit)
    return bytes(body)


@dataclass(frozen=True)
class _Unreadable:
    """A listing item set aside before parsing (`too_deep`, `record_too_large`), with its text."""

    raw: bytes
    reason: str


_ARRAY_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]')


def _items_one_by_one(body: bytes) -> list[Any]:
    """The items of a JSON array page, each parsed alone; a too deep one becomes _Unreadable.

    Only for a page that Python's json cannot read whole (RecursionError): brackets and commas
    outside strings find where each item starts and ends, without recursion.
    """
    items: list[Any] = []
    depth = 0
    start = -1
    for token in _ARRAY_TOKEN.finditer(body):
        char = token.group()
        if char in (b"[", b"{"):
            depth += 1
            if depth == 1:
                if char != b"[":
                    raise ValueError("a listing page is a JSON array")
                start = token.end()
        elif char in (b"]", b"}"):
            depth -= 1
            if depth == 0:
                items.append(_parse_item(body[start : token.start()]))
        elif char == b"," and depth == 1:
            items.append(_parse_item(body[start : token.start()]))
            start = token.end()
    if depth != 0 or start < 0:
        raise ValueError("unbalanced brackets")
    return [item for item in items if item is not _EMPTY]


_EMPTY = object()


def _parse_item(text: bytes) -> Any:
    text = text.strip()
    if not text:
        return _EMPTY  # `[]`
    if problem := line_problem(text):
        return _Unreadable(text, problem)
    return json.loads(text)


def strict_json_problem(item: Any) -> str | None:
    """Why a value parsed by Python's json cannot be written back as strict UTF-8 JSON, or None."""
    try:
        json.dumps(item, ensure_ascii=False, allow_nan=False).encode()
    except ValueError:  # UnicodeEncodeError included
        # one fixed reason, so that quarantine counts group these lines together
        return "not strict UTF-8 JSON (NaN, Infinity or a lone surrogate)"
    return None


def _shutdown(stream: Any) -> None:
    """Shut a request's socket so that a thread blocked reading it returns (best effort)."""
    sock = stream.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def _rate_limit_wait(headers: httpx2.Headers) -> float | None:
    retry_after = headers.get("Retry-After", "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    info = parse_ratelimit_headers(headers)
    if info is not None and info.remaining == 0:
        return float(info.reset_in_seconds)
    return None


def _first_url(endpoint: str, page_size: int, kind: str) -> str:
    params = [("limit", str(page_size)), *(("expand", key) for key in EXPAND_BY_KIND[kind])]
    return f"{endpoint}/api/{kind}?{urlencode(params)}"


def crawl_models(
    endpoint: str | None, raw_dir: Path, snapshot_date: date, **options
) -> RawManifest:
    """Crawl `GET {endpoint}/api/models` into `raw_dir` (see crawl_listing)."""
    return crawl_listing("models", endpoint, raw_dir, snapshot_date, **options)


def crawl_datasets(
    endpoint: str | None, raw_dir: Path, snapshot_date: date, **options
) -> RawManifest:
    """Crawl `GET {endpoint}/api/datasets` into `raw_dir` (see crawl_listing)."""
    return crawl_listing("datasets", endpoint, raw_dir, snapshot_date, **options)


def crawl_listing(
    kind: str,
    endpoint: str | None,
    raw_dir: Path,
    snapshot_date: date,
    *,
    token: str | None = None,
    page_size: int = 1000,
    retry: RetryPolicy = RetryPolicy(),
    force: bool = False,
    max_pages: int | None = None,
    progress: Callable[[CrawlProgress], None] | None = None,
    today: Callable[[], date] = utc_today,
    world: str | None = None,
) -> RawManifest:
    """Crawl `GET {endpoint}/api/{kind}` (`models` or `datasets`) into `raw_dir`; return the
    manifest of the snapshot. Both listings go through the same origin check, deadlines, page
    bound, retries and checkpoints.

    `endpoint` None means huggingface_hub's endpoint (HF_ENDPOINT, else https://huggingface.co).
    A complete snapshot already in `raw_dir` is returned as is unless `force`, when it was
    crawled from the same endpoint, or from the same `world` (the name of the simulated world
    `endpoint` serves, whatever port it listens on); a snapshot of another source is refused. An
    incomplete one is resumed from its checkpoint. More than `max_pages` pages (None: no bound),
    or a next link back to a page already requested, stops the crawl with a CrawlError.
    """
    endpoint = (endpoint or constants.ENDPOINT).rstrip("/")
    check_endpoint(endpoint)
    raw_dir = Path(raw_dir)
    snapshot = RawSnapshot(raw_dir)
    if force:
        clear_snapshot(raw_dir)
    elif snapshot.is_complete():
        manifest = snapshot.manifest()
        # a recording replayed for the date, or another endpoint's listing (another mirror,
        # another simulated world), is not what this crawl would list: never taken for it
        held = (
            f"crawled from {_listing_of(manifest.endpoint, manifest.world)}"
            if manifest.source == "api"
            else "replayed from a recording"
        )
        if held != f"crawled from {(wanted := _listing_of(endpoint, world))}":
            raise CrawlError(
                f"{raw_dir} holds the complete snapshot of {snapshot_date} {held}, and this "
                f"crawl is of {wanted}: refusing to take one for the other; rerun with "
                "force=True (--force; `demo --replace`) to crawl in its place"
            )
        (raw_dir / CHECKPOINT).unlink(missing_ok=True)
        return manifest

    checkpoint_path = raw_dir / CHECKPOINT
    if checkpoint_path.is_file():
        checkpoint = _Checkpoint.load(checkpoint_path)
        if checkpoint.endpoint != endpoint or checkpoint.snapshot_date != snapshot_date.isoformat():
            raise CrawlError(
                f"{raw_dir} holds an unfinished crawl of {checkpoint.endpoint} for "
                f"{checkpoint.snapshot_date}, not of {endpoint} for {snapshot_date}; "
                "rerun with force=True (--force) to discard it and start over"
            )
    else:
        checkpoint = _Checkpoint(
            endpoint, snapshot_date.isoformat(), _first_url(endpoint, page_size, kind)
        )

    started = time.monotonic()
    counters = checkpoint.counters

    def context() -> str:
        return (
            f"{checkpoint.pages_done} pages ({checkpoint.models} models) are saved in {raw_dir}; "
            f"rerun the same command: the crawl resumes from page {checkpoint.pages_done + 1}."
        )

    with _PageScanner(page_size) as scanner:
        fetcher = _Fetcher(
            endpoint, build_hf_headers(token=token), retry, counters, context, scanner
        )
        if not checkpoint.seen:
            checkpoint.seen.append(_url_digest(checkpoint.next_url))
        page = fetcher.get(checkpoint.next_url)
        # Only a simulator dates its answers; the release says so wherever a person looks.
        simulated = page.present is not None
        # The date check comes before anything is written.
        present = page.present or today()
        if present != snapshot_date:
            raise SnapshotDateError(
                f"refusing to crawl a snapshot for {snapshot_date.isoformat()}: {endpoint} shows "
                f"the Hub as it is on {present.isoformat()}, and the Hub cannot show a past (or "
                f"future) day. Crawl with snapshot date {present.isoformat()}, or replay a "
                "recorded listing of that day with replay_file."
            )
        raw_dir.mkdir(parents=True, exist_ok=True)
        remove_partial(raw_dir, keep_pages=checkpoint.pages_done)

        while True:
            if checkpoint.reported_total is None:
                checkpoint.reported_total = page.total
            page_no = checkpoint.pages_done + 1
            path = raw_dir / page_name(page_no)
            written: RawFile | None = None
            if page.clean is not None:
                # every item plainly clean: written as the server sent them, nothing parsed here
                if page.clean.rows:
                    written = write_block_gz(path, page.clean.lines, page.clean.rows)
                contents = page.clean.ids_digest
            else:
                written = _write_items(page, path, page_no, page_size, checkpoint.rejected)
                contents = _ids_digest(page.items)
            if written is not None:
                checkpoint.files.append(asdict(written))
                checkpoint.pages_done += 1
                checkpoint.models += written.rows
            checkpoint.seconds += time.monotonic() - started
            started = time.monotonic()
            if page.next_url is None:
                break
            _check_next(page.next_url, checkpoint, max_pages, endpoint, contents)
            checkpoint.next_url = page.next_url
            checkpoint.seen.append(_url_digest(page.next_url))
            checkpoint.save(checkpoint_path)
            if progress is not None:
                progress(_progress(checkpoint))
            try:
                page = fetcher.get(checkpoint.next_url)
            except CrawlError:
                # The failed attempts count in the manifest of the run that completes the crawl.
                checkpoint.save(checkpoint_path)
                raise

        if checkpoint.models == 0:
            raise CrawlError(
                f"{endpoint}/api/{kind} listed no {kind}; refusing to record an empty snapshot"
            )
        if checkpoint.rejected:
            write_jsonl_gz(raw_dir / REJECTED, checkpoint.rejected)
        manifest = RawManifest(
            snapshot_date=snapshot_date,
            source="api",
            model_count=checkpoint.models,
            pages=checkpoint.pages_done,
            files=[RawFile(**f) for f in checkpoint.files],
            rejected_count=len(checkpoint.rejected),
            reported_total=checkpoint.reported_total,
            endpoint=endpoint,
            client=f"huggingface_hub {huggingface_hub.__version__}",
            expand=list(EXPAND_BY_KIND[kind]),
            page_size=page_size,
            requests=counters.requests,
            retries=counters.retries,
            status_429=counters.status_429,
            status_5xx=counters.status_5xx,
            dropped=counters.dropped,
            truncated=counters.truncated,
            bytes=counters.bytes,
            seconds=round(checkpoint.seconds, 3),
            simulated=simulated,
            world=world,
            kind=kind,
        )
        write_json_atomic(raw_dir / MANIFEST, manifest.to_json())
        checkpoint_path.unlink(missing_ok=True)
        if progress is not None:
            progress(_progress(checkpoint))
        return manifest


def _listing_of(endpoint: str | None, world: str | None) -> str:
    """What a crawl lists, in words: a simulated world (whatever its port), or an endpoint."""
    return f"the simulated world {world}" if world else str(endpoint)


def _write_items(
    page: _Page, path: Path, page_no: int, page_size: int, rejected: list[dict]
) -> RawFile | None:
    """The item-by-item path: each item checked and encoded by Python, written to `path` when
    any is good; a bad one is appended to `rejected` with its reason."""
    lines = []
    for i, item in enumerate(page.items):
        line = None
        problem = _item_problem(item, i, page_size, page.suspect)
        if problem is None:
            # encoded here, once: the line's size and depth are checked before it is written
            line, problem = encode_record(item)
        if line is not None:
            lines.append(line)
        else:
            raw = item.raw if isinstance(item, _Unreadable) else _json_bytes(item)
            rejected.append(rejected_record(i, problem or "", raw, page=page_no))
    return write_lines_gz(path, lines) if lines else None


def _url_digest(url: str) -> str:
    # 16 hex digits: the checkpoint is rewritten after every page and stays small.
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def _ids_digest(items: list[Any]) -> str | None:
    """The digest of a page's ids in order, None for a page without objects; the bulk check
    computes the same (sql/hub/scan_clean_page.sql), so a repeated page is found whichever path
    either copy took. An id that is not a string (never seen on the Hub) counts as empty."""
    ids = [item.get("id") for item in items if isinstance(item, dict)]
    if not ids:
        return None
    text = "\n".join(i if isinstance(i, str) else "" for i in ids)
    # a lone surrogate (possible only here, on the item-by-item path) is hashed as it was read
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _check_next(
    next_url: str,
    checkpoint: _Checkpoint,
    max_pages: int | None,
    endpoint: str,
    contents: str | None,
):
    """Stop a listing that would never end: a cursor loop, or more pages than the bound."""
    requested = len(checkpoint.seen)
    if contents is not None:
        if contents in checkpoint.contents:
            raise CrawlError(
                f"{endpoint} sent page {requested} with the same models as an earlier page, and "
                f"links on to yet another page ({checkpoint.models:,} models so far): a cursor "
                "loop, which would never end. The day is not complete and is not published; "
                "rerun with --force once the server pages correctly."
            )
        checkpoint.contents.append(contents)
    if _url_digest(next_url) in checkpoint.seen:
        raise CrawlError(
            f"{endpoint} sent a next-page link to a page already requested after {requested} "
            f"pages ({checkpoint.models:,} models): a cursor loop, which would never end. The "
            "day is not complete and is not published; rerun with --force once the server "
            "pages correctly."
        )
    if max_pages is not None and requested >= max_pages:
        raise CrawlError(
            f"{endpoint} still links to a next page after {requested} pages "
            f"({checkpoint.models:,} models), the bound of {max_pages} pages for this crawl "
            "(twice the previous snapshot's pages plus a margin; for a first snapshot, 10 million "
            "models' worth). The day is not complete and is "
            "not published; if the listing has really grown that much, rerun with a larger "
            "--max-pages (Dagster: the hub resource's max_pages)."
        )


def _progress(checkpoint: _Checkpoint) -> CrawlProgress:
    c = checkpoint.counters
    return CrawlProgress(
        pages=checkpoint.pages_done,
        models=checkpoint.models,
        requests=c.requests,
        retries=c.retries,
        status_429=c.status_429,
        elapsed_s=round(checkpoint.seconds, 3),
        total=checkpoint.reported_total,
    )


def _item_problem(item: Any, index: int, page_size: int, suspect: bool) -> str | None:
    if isinstance(item, _Unreadable):
        return item.reason
    if not isinstance(item, dict):
        return f"listing item is a JSON {type(item).__name__}, not an object"
    # A page larger than asked for is not what the API promises: the excess is set aside with
    # its text, never loaded.
    if index >= page_size:
        return f"page_overflow: item {index + 1} of a page asked for at most {page_size} items"
    return strict_json_problem(item) if suspect else None


def _json_bytes(obj: Any) -> bytes:
    try:
        return json.dumps(obj, ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate survives only as its \u escape
        return json.dumps(obj).encode()
    except RecursionError:
        # parsed, but too deep to write back: its top-level scalars (the id) are the evidence
        if not isinstance(obj, dict):
            return b'"..."'
        shallow = {k: v if not isinstance(v, dict | list) else "..." for k, v in obj.items()}
        return json.dumps(shallow, ensure_ascii=False, default=str).encode()
