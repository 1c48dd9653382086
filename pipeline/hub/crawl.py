"""Crawl the Hub's model listing into a raw snapshot, page by page, resumable after any kill.

Each page is written to disk as it arrives (temp file + rename), then the checkpoint (next URL,
pages done, counters) is replaced: a crawl killed at any moment resumes from the last completed
page, and pages beyond the checkpoint are deleted first, so no model is lost or written twice.
At most one page is held in memory. `_manifest.json` is written last.

The Hub shows only its present: a snapshot can be crawled only for the endpoint's current day
(the live Hub's UTC date, or the day a simulator announces in `X-Simulated-Date`).
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

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

from pipeline.hub.raw import (
    CHECKPOINT,
    MANIFEST,
    REJECTED,
    RawFile,
    RawManifest,
    RawSnapshot,
    clear_snapshot,
    page_name,
    rejected_record,
    remove_partial,
    write_json_atomic,
    write_jsonl_gz,
)

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
# Not asked for:
# - baseModels: refused by the listing endpoint (accepted only by /api/models/{id}, per
#   huggingface_hub PR #3182); the base_model:<relation>:<id> tags carry the same edges.
# - config: large (tokenizer configs carry whole chat templates) and no staged column needs it.
# - spaces, widgetData, model-index, transformersInfo, inference*, evalResults: not census fields;
#   usedStorage and childrenModelCount are refused when listing.

RETRY_STATUSES = frozenset({408, 500, 502, 503, 504})
# A listing page is at most `limit` items of a few KB (the largest recorded item is 57 KB); a body
# beyond this is not a listing page, and reading on would only exhaust memory.
MAX_PAGE_BYTES = 256 << 20
# Python's json reads NaN, Infinity and lone surrogate escapes (\ud800) that no strict JSON reader,
# DuckDB's included, reads back, and a lone surrogate cannot even be encoded as UTF-8: a body that
# holds any of these has its items checked one by one (see strict_json_problem).
SUSPECT_JSON = re.compile(rb"NaN|Infinity|\\u[dD][89a-fA-F]")


def utc_today() -> date:
    return datetime.now(UTC).date()


class CrawlError(RuntimeError):
    """The crawl stopped; the message says what happened and how to resume."""


class SnapshotDateError(ValueError):
    """A snapshot was asked for a day the endpoint does not show (it shows only its present)."""


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
    timeout: float = 120.0
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
    # The first X-Total-Count seen: the Hub's own count of the listing, for the reconciliation.
    reported_total: int | None = None

    @classmethod
    def load(cls, path: Path) -> _Checkpoint:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["counters"] = _Counters(**data.get("counters", {}))
        return cls(**data)

    def save(self, path: Path) -> None:
        write_json_atomic(path, asdict(self), indent=None)


@dataclass
class _Page:
    items: list[Any]
    next_url: str | None
    present: date | None  # the day the endpoint announces (X-Simulated-Date), if any
    suspect: bool = False  # the body may hold values strict JSON cannot carry
    total: int | None = None  # the listing's size as the Hub reports it (X-Total-Count)


class _Fetcher:
    """GET one listing page with retries; counts what happened."""

    def __init__(
        self,
        headers: dict[str, str],
        policy: RetryPolicy,
        counters: _Counters,
        context: Callable[[], str],
    ) -> None:
        self.headers = headers
        self.policy = policy
        self.counters = counters
        self.context = context  # "N pages (M models) are saved..." for error messages
        self.run_retries = 0
        self.rng = random.Random(policy.seed)

    def get(self, url: str) -> _Page:
        attempt = 0
        while True:
            attempt += 1
            self.counters.requests += 1
            wait: float | None = None
            try:
                with get_session().stream(
                    "GET", url, headers=self.headers, timeout=self.policy.timeout
                ) as response:
                    try:
                        body = _read_bounded(response, MAX_PAGE_BYTES)
                    except _PageTooLarge as exc:
                        raise CrawlError(
                            f"{url} sent more than {exc.limit:,} bytes, far beyond any listing "
                            f"page; refusing to read it. {self.context()}"
                        ) from None
                    except (httpx2.TransportError, httpx2.StreamError) as exc:
                        self.counters.truncated += 1
                        problem = f"truncated body ({type(exc).__name__}: {exc})"
                    else:
                        self.counters.bytes += len(body)
                        page, problem, wait = self._interpret(url, response, body)
                        if page is not None:
                            return page
            except httpx2.TimeoutException as exc:
                self.counters.dropped += 1
                problem = f"timeout ({type(exc).__name__})"
            except httpx2.TransportError as exc:
                self.counters.dropped += 1
                problem = f"connection dropped ({type(exc).__name__}: {exc})"
            self._before_retry(url, attempt, problem, wait)

    def _interpret(
        self, url: str, response: httpx2.Response, body: bytes
    ) -> tuple[_Page | None, str, float | None]:
        status = response.status_code
        if status == 429:
            self.counters.status_429 += 1
            return None, "HTTP 429 (rate limited)", _rate_limit_wait(response.headers)
        if status in RETRY_STATUSES:
            self.counters.status_5xx += 1
            return None, f"HTTP {status}", None
        if status >= 400:
            try:
                hf_raise_for_status(response)
            except HfHubHTTPError as exc:
                raise CrawlError(
                    f"the Hub refused {url} with HTTP {status}: {self._redact(str(exc))}. "
                    f"{self.context()}"
                ) from None
        try:
            items = json.loads(body)
        except ValueError as exc:
            self.counters.truncated += 1
            return None, f"unreadable JSON body ({exc})", None
        if not isinstance(items, list):
            raise CrawlError(
                f"{url} answered HTTP {status} with a JSON {type(items).__name__}, not the list of "
                f"models a listing page holds. {self.context()}"
            )
        present = response.headers.get("X-Simulated-Date")
        try:
            present_day = date.fromisoformat(present) if present else None
        except ValueError:
            raise CrawlError(f"{url} sent an unreadable X-Simulated-Date {present!r}") from None
        next_url = response.links.get("next", {}).get("url")
        # The Hub exposes X-Total-Count; a value that is not a plain count is not reported.
        total_text = response.headers.get("X-Total-Count", "").strip()
        total = (
            int(total_text)
            if total_text.isascii() and total_text.isdigit() and len(total_text) <= 18
            else None
        )
        suspect = SUSPECT_JSON.search(body) is not None
        return _Page(items, next_url, present_day, suspect, total), "", None

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


class _PageTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit


def _read_bounded(response: httpx2.Response, limit: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _PageTooLarge(limit)
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise _PageTooLarge(limit)
    return bytes(body)


def strict_json_problem(item: Any) -> str | None:
    """Why a value parsed by Python's json cannot be written back as strict UTF-8 JSON, or None."""
    try:
        json.dumps(item, ensure_ascii=False, allow_nan=False).encode()
    except ValueError:  # UnicodeEncodeError included
        # one fixed reason, so that quarantine counts group these lines together
        return "not strict UTF-8 JSON (NaN, Infinity or a lone surrogate)"
    return None


def _rate_limit_wait(headers: httpx2.Headers) -> float | None:
    retry_after = headers.get("Retry-After", "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    info = parse_ratelimit_headers(headers)
    if info is not None and info.remaining == 0:
        return float(info.reset_in_seconds)
    return None


def _first_url(endpoint: str, page_size: int) -> str:
    params = [("limit", str(page_size)), *(("expand", key) for key in EXPAND)]
    return f"{endpoint}/api/models?{urlencode(params)}"


def crawl_models(
    endpoint: str | None,
    raw_dir: Path,
    snapshot_date: date,
    *,
    token: str | None = None,
    page_size: int = 1000,
    retry: RetryPolicy = RetryPolicy(),
    force: bool = False,
    progress: Callable[[CrawlProgress], None] | None = None,
    today: Callable[[], date] = utc_today,
) -> RawManifest:
    """Crawl `GET {endpoint}/api/models` into `raw_dir`; return the manifest of the snapshot.

    `endpoint` None means huggingface_hub's endpoint (HF_ENDPOINT, else https://huggingface.co).
    A complete snapshot already in `raw_dir` is returned as is unless `force`; an incomplete one
    is resumed from its checkpoint.
    """
    endpoint = (endpoint or constants.ENDPOINT).rstrip("/")
    raw_dir = Path(raw_dir)
    snapshot = RawSnapshot(raw_dir)
    if force:
        clear_snapshot(raw_dir)
    elif snapshot.is_complete():
        (raw_dir / CHECKPOINT).unlink(missing_ok=True)
        return snapshot.manifest()

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
            endpoint, snapshot_date.isoformat(), _first_url(endpoint, page_size)
        )

    started = time.monotonic()
    counters = checkpoint.counters

    def context() -> str:
        return (
            f"{checkpoint.pages_done} pages ({checkpoint.models} models) are saved in {raw_dir}; "
            f"rerun the same command: the crawl resumes from page {checkpoint.pages_done + 1}."
        )

    fetcher = _Fetcher(build_hf_headers(token=token), retry, counters, context)
    page = fetcher.get(checkpoint.next_url)
    # The date check comes before anything is written.
    present = page.present or today()
    if present != snapshot_date:
        raise SnapshotDateError(
            f"refusing to crawl a snapshot for {snapshot_date.isoformat()}: {endpoint} shows the "
            f"Hub as it is on {present.isoformat()}, and the Hub cannot show a past (or future) "
            f"day. Crawl with snapshot date {present.isoformat()}, or replay a recorded listing "
            "of that day with replay_file."
        )
    raw_dir.mkdir(parents=True, exist_ok=True)
    remove_partial(raw_dir, keep_pages=checkpoint.pages_done)

    while True:
        if checkpoint.reported_total is None:
            checkpoint.reported_total = page.total
        objects = []
        for i, item in enumerate(page.items):
            problem = _item_problem(item, i, page_size, page.suspect)
            if problem is None:
                objects.append(item)
            else:
                checkpoint.rejected.append(
                    rejected_record(i, problem, _json_bytes(item), page=checkpoint.pages_done + 1)
                )
        if objects:
            written = write_jsonl_gz(raw_dir / page_name(checkpoint.pages_done + 1), objects)
            checkpoint.files.append(asdict(written))
            checkpoint.pages_done += 1
            checkpoint.models += written.rows
        del objects
        checkpoint.seconds += time.monotonic() - started
        started = time.monotonic()
        if page.next_url is None:
            break
        checkpoint.next_url = page.next_url
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
            f"{endpoint}/api/models listed no models; refusing to record an empty snapshot"
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
        expand=list(EXPAND),
        page_size=page_size,
        requests=counters.requests,
        retries=counters.retries,
        status_429=counters.status_429,
        status_5xx=counters.status_5xx,
        dropped=counters.dropped,
        truncated=counters.truncated,
        bytes=counters.bytes,
        seconds=round(checkpoint.seconds, 3),
    )
    write_json_atomic(raw_dir / MANIFEST, manifest.to_json())
    checkpoint_path.unlink(missing_ok=True)
    if progress is not None:
        progress(_progress(checkpoint))
    return manifest


def _progress(checkpoint: _Checkpoint) -> CrawlProgress:
    c = checkpoint.counters
    return CrawlProgress(
        pages=checkpoint.pages_done,
        models=checkpoint.models,
        requests=c.requests,
        retries=c.retries,
        status_429=c.status_429,
        elapsed_s=round(checkpoint.seconds, 3),
    )


def _item_problem(item: Any, index: int, page_size: int, suspect: bool) -> str | None:
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
