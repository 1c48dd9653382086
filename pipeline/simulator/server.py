"""The simulated Hub's HTTP API: `GET /api/models` and `GET /api/models/{id}`, as the Hub answers.

A `HubState` (one day of the simulated world) is served over loopback with the Hub's pagination
(an opaque cursor in a `Link: <...>; rel="next"` header), projections (`expand`, `full`,
`cardData`, `config`), filters, renames (307) and injected faults, so that the crawler and the
real `huggingface_hub` client are tested against real HTTP.

The cursor holds a position key (the last `_id`, or the last (sort value, `_id`)), never an offset:
when the state moves to the next day between two pages, the listing continues after the same
model, so no model present on both days is lost or listed twice.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import itertools
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from pipeline.simulator.datasets import DATASET_DEFAULT_KEYS, DATASET_EXPANDABLE, dataset_state
from pipeline.simulator.eras import DEFAULT_ERA, EraState, check_era
from pipeline.simulator.faults import Fault, FaultConfig, FaultDecision, choose_fault
from pipeline.simulator.protocol import HubState
from pipeline.simulator.repos import DatasetRepos

MAX_LIMIT = 1000

# Keys of a listing item when neither `expand` nor `full` is asked for (what the Hub returns).
DEFAULT_KEYS = (
    "_id",
    "id",
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
    "modelId",
)
# `full=true` adds the light per-repo metadata; the heavy keys (config, cardData, spaces,
# widgetData, model-index, transformersInfo, safetensors, gguf, ...) stay behind their own flags
# or `expand`, as on the Hub where `config` is "not included in full due to its size".
FULL_KEYS = (*DEFAULT_KEYS, "author", "sha", "lastModified", "gated", "disabled", "siblings")

EXPANDABLE = frozenset(
    {
        "author",
        "baseModels",
        "cardData",
        "childrenModelCount",
        "config",
        "createdAt",
        "disabled",
        "downloads",
        "downloadsAllTime",
        "evalResults",
        "gated",
        "gguf",
        "inference",
        "inferenceProviderMapping",
        "lastModified",
        "library_name",
        "likes",
        "mask_token",
        "model-index",
        "pipeline_tag",
        "private",
        "resourceGroup",
        "safetensors",
        "sha",
        "siblings",
        "spaces",
        "tags",
        "transformersInfo",
        "trendingScore",
        "usedStorage",
        "widgetData",
    }
)
# Maintainers (huggingface_hub PR #3182): these are computed per repo and refused when listing.
INFO_ONLY_EXPAND = frozenset({"baseModels", "childrenModelCount", "usedStorage"})
LISTING_EXPANDABLE = EXPANDABLE - INFO_ONLY_EXPAND

SORT_KEYS = ("trendingScore", "likes", "downloads", "createdAt", "lastModified", "id")
_NUMERIC_SORTS = frozenset({"trendingScore", "likes", "downloads"})

_CHUNK = 64 * 1024
_PAGE_CACHE_SIZE = 16


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: str
    status: int | None  # None when the connection was dropped without a response
    fault: str
    bytes: int
    authorized: bool  # an Authorization header was sent (its value is never recorded)


class BadRequest(Exception):
    pass


def _truthy(values: list[str] | None) -> bool:
    return bool(values) and values[-1].lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class _Query:
    """What decides the order and membership of a listing (projection aside)."""

    sort: str | None
    descending: bool
    author: str | None
    search: str | None
    filters: tuple[str, ...]

    @property
    def filtered(self) -> bool:
        return bool(self.author or self.search or self.filters)

    def matches(self, item: dict) -> bool:
        model_id = str(item.get("id") or "")
        if self.author is not None:
            author = item.get("author") or (model_id.partition("/")[0] if "/" in model_id else "")
            if str(author).lower() != self.author:
                return False
        if self.search is not None and self.search not in model_id.lower():
            return False
        if self.filters:
            tags = set(item.get("tags") or ())
            if not all(f in tags for f in self.filters):
                return False
        return True

    def sort_value(self, item: dict) -> Any:
        value = item.get(self.sort) if self.sort else None
        if self.sort in _NUMERIC_SORTS:
            return float(value or 0)
        return str(value or "")

    def position(self, item: dict) -> tuple[Any, str]:
        return (self.sort_value(item) if self.sort else None, item["_id"])


def _encode_cursor(position: tuple[Any, str]) -> str:
    raw = json.dumps(list(position), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[Any, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, hub_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise BadRequest("invalid cursor") from exc
    if not isinstance(hub_id, str):
        raise BadRequest("invalid cursor")
    return value, hub_id


@dataclass
class _Page:
    items: list[dict]
    next_position: tuple[Any, str] | None
    total: int


class _Listing:
    """Pages of one state: a continuation per next cursor so a sequential crawl is one pass over
    the state's items, and the last pages kept so a retried request is answered without a scan."""

    def __init__(self, state: HubState) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple, _Page | Iterator[dict]] = OrderedDict()
        self._sorted: dict[_Query, list[tuple[Any, str, str]]] = {}
        self._counts: dict[_Query, int] = {}

    def page(self, query: _Query, position: tuple[Any, str] | None, limit: int) -> _Page:
        key = (query, position, limit)
        with self._lock:
            entry = self._cache.get(key)
            if isinstance(entry, _Page):
                self._cache.move_to_end(key)
                return entry
            if entry is not None:
                del self._cache[key]
        stream = entry if entry is not None else self._stream(query, position)
        items = list(itertools.islice(stream, limit))
        peek = next(stream, None)
        next_position = query.position(items[-1]) if peek is not None and items else None
        page = _Page(items, next_position, self.total(query))
        with self._lock:
            self._cache[key] = page
            if next_position is not None:
                self._cache[(query, next_position, limit)] = itertools.chain([peek], stream)
            while len(self._cache) > _PAGE_CACHE_SIZE:
                self._cache.popitem(last=False)
        return page

    def total(self, query: _Query) -> int:
        if query.sort:
            return len(self._sorted_index(query))
        if not query.filtered:
            return len(self.state)
        with self._lock:
            if query in self._counts:
                return self._counts[query]
        count = sum(1 for item in self.state.iter_items() if query.matches(item))
        with self._lock:
            self._counts[query] = count
        return count

    def _stream(self, query: _Query, position: tuple[Any, str] | None) -> Iterator[dict]:
        if query.sort:
            return self._sorted_stream(query, position)
        after = position[1] if position else None
        return (
            item
            for item in self.state.iter_items()
            if (after is None or item["_id"] > after) and query.matches(item)
        )

    def _sorted_index(self, query: _Query) -> list[tuple[Any, str, str]]:
        with self._lock:
            index = self._sorted.get(query)
        if index is None:
            index = sorted(
                (query.sort_value(item), item["_id"], item["id"])
                for item in self.state.iter_items()
                if query.matches(item)
            )
            with self._lock:
                self._sorted[query] = index
        return index

    def _sorted_stream(self, query: _Query, position: tuple[Any, str] | None) -> Iterator[dict]:
        index = self._sorted_index(query)
        if query.descending:
            start = len(index) - 1
            if position is not None:
                start = bisect.bisect_left(index, tuple(position), key=lambda e: e[:2]) - 1
            positions = range(start, -1, -1)
        else:
            start = (
                0
                if position is None
                else bisect.bisect_right(index, tuple(position), key=lambda e: e[:2])
            )
            positions = range(start, len(index))
        for i in positions:
            item = self.state.get_item(index[i][2])
            if item is not None:
                yield item


def _dataset_projection(params: dict[str, list[str]]) -> frozenset[str]:
    expand = [e for value in params.get("expand", []) for e in value.split(",") if e]
    unknown = sorted(set(expand) - DATASET_EXPANDABLE)
    if unknown:
        raise BadRequest(f'"expand" must be one of {sorted(DATASET_EXPANDABLE)}; got {unknown}')
    if expand:
        return frozenset({"_id", "id", *expand})
    return (
        DATASET_EXPANDABLE | {"_id", "id"} if _truthy(params.get("full")) else DATASET_DEFAULT_KEYS
    )


def _project(item: dict, keys: frozenset[str]) -> dict:
    return {k: v for k, v in item.items() if k in keys}


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


class SimulatedHub:
    """A loopback HTTP server answering as the Hub's model API does, one `HubState` at a time."""

    def __init__(
        self,
        state: HubState,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultConfig | None = None,
        max_limit: int = MAX_LIMIT,
        announce_date: bool = True,
        era: str = DEFAULT_ERA,
    ) -> None:
        self._listing = _Listing(state)
        self._datasets = _dataset_listing(state)
        # items are listed, sorted and paged in today's shape and rewritten into the era's on the
        # way out (eras.py), so that cursors work the same in every era
        self.era = check_era(era)
        self.faults = faults
        # Tests lower the page cap to page through small states with the real client, whose
        # `list_models(limit=...)` also caps the total number of items.
        self.max_limit = max_limit
        # Off, the server dates nothing, as the live Hub: clients must assume its present is today.
        self.announce_date = announce_date
        self.request_log: list[RequestRecord] = []
        self.repos = DatasetRepos()  # dataset repositories a release is published to
        self._log_lock = threading.Lock()
        self._fault_counter = itertools.count(1)
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def state(self) -> HubState:
        return self._listing.state

    def set_state(self, state: HubState) -> None:
        """Move to another day; cursors handed out before keep their meaning (a position key)."""
        self._listing = _Listing(state)
        self._datasets = _dataset_listing(state)

    def start(self) -> SimulatedHub:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},  # stop() returns promptly
                name="simulated-hub",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> SimulatedHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def _next_fault(self) -> FaultDecision:
        return choose_fault(self.faults, next(self._fault_counter))

    def _record(self, record: RequestRecord) -> None:
        with self._log_lock:
            self.request_log.append(record)


def _dataset_listing(state: HubState) -> _Listing | None:
    # the datasets of the same simulated day (simulator/datasets.py); none for other states
    datasets = dataset_state(state)
    return None if datasets is None else _Listing(datasets)


def _make_handler(hub: SimulatedHub) -> type[BaseHTTPRequestHandler]:
    class Handler(_HubHandler):
        pass

    Handler.hub = hub
    return Handler


class _HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SimulatedHub/1"
    timeout = 30  # idle keep-alive connections close instead of pinning a thread
    hub: SimulatedHub

    def log_message(self, format: str, *args: Any) -> None:  # the request log records requests
        pass

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        path = split.path
        self._query_text = split.query
        self._path = path
        self._logged = False
        self._status: int | None = None
        self._bytes = 0
        self._fault = Fault.NONE
        listing = self.hub._listing  # one state for the whole request, even if swapped meanwhile
        self._date = listing.state.snapshot_date
        try:
            if path.rstrip("/") == "/api/models":
                self._with_faults(lambda: self._list_models(listing))
            elif path.rstrip("/") == "/api/datasets" and self.hub._datasets is not None:
                datasets = self.hub._datasets
                self._with_faults(lambda: self._list_models(datasets, kind="datasets"))
            elif path.startswith("/api/models/"):
                model_id = unquote(path[len("/api/models/") :]).strip("/")
                model_id = model_id.split("/revision/")[0]
                self._with_faults(lambda: self._model_info(listing, model_id))
            elif self.hub.repos.handle(self, "GET"):
                pass
            else:
                self._send_json(404, {"error": "Not Found"})
        except BadRequest as exc:
            self._send_json(400, {"error": str(exc)})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self._log()

    def do_HEAD(self) -> None:
        if not self.hub.repos.handle(self, "HEAD"):
            self.send_error(404)

    def do_POST(self) -> None:
        if not self.hub.repos.handle(self, "POST"):
            self.send_error(404)

    def _log(self) -> None:
        """Record the request once, before its last byte leaves: a client that has its answer
        finds the request in the log."""
        if self._logged:
            return
        self._logged = True
        self.hub._record(
            RequestRecord(
                method="GET",
                path=self._path,
                query=self._query_text,
                status=self._status,
                fault=str(self._fault),
                bytes=self._bytes,
                authorized="authorization" in (k.lower() for k in self.headers),
            )
        )

    # --- faults ---------------------------------------------------------------------------

    def _with_faults(self, answer: Any) -> None:
        decision = self.hub._next_fault()
        self._fault = decision.fault
        config = self.hub.faults
        if decision.fault is Fault.DROP:
            self.close_connection = True
            return
        if decision.fault is Fault.RATE_LIMIT:
            assert config is not None
            wait = config.retry_after_seconds
            self._send_json(
                429,
                {"error": "You have exceeded our rate limit. Please retry later."},
                headers={
                    "Retry-After": str(wait),
                    "RateLimit": f'"api";r=0;t={wait}',
                    "RateLimit-Policy": (
                        f'"fixed window";"api";q={config.rate_limit_quota};'
                        f"w={config.rate_limit_window_seconds}"
                    ),
                },
            )
            return
        if decision.fault is Fault.SERVER_ERROR:
            assert decision.status is not None
            self._send_json(
                decision.status,
                {"error": "Internal Error - We're working hard to fix this as soon as possible!"},
            )
            return
        if decision.fault is Fault.SLOW:
            assert config is not None
            time.sleep(config.slow_seconds)
        answer()

    # --- routes -----------------------------------------------------------------------------

    def _params(self) -> dict[str, list[str]]:
        params: dict[str, list[str]] = {}
        for key, value in parse_qsl(self._query_text, keep_blank_values=True):
            params.setdefault(key.removesuffix("[]"), []).append(value)
        return params

    def _list_models(self, listing: _Listing, kind: str = "models") -> None:
        """A page of `/api/{kind}`: models, or datasets (no era shapes, their own `expand`)."""
        params = self._params()
        keys = (
            self._projection(params, listing_=True)
            if kind == "models"
            else _dataset_projection(params)
        )
        try:
            limit = int(params.get("limit", [str(self.hub.max_limit)])[-1])
        except ValueError as exc:
            raise BadRequest("limit must be an integer") from exc
        limit = max(1, min(limit, self.hub.max_limit))
        sort = params.get("sort", [None])[-1] or None
        if sort is not None and sort not in SORT_KEYS:
            raise BadRequest(f"sort must be one of {', '.join(SORT_KEYS)}")
        direction = params.get("direction", ["1"])[-1]
        author = params.get("author", [None])[-1]
        search = params.get("search", [None])[-1]
        query = _Query(
            sort=sort,
            descending=sort is not None and direction == "-1",
            author=author.lower() if author else None,
            search=search.lower() if search else None,
            filters=tuple(sorted(f for f in params.get("filter", []) if f)),
        )
        cursor = params.get("cursor", [None])[-1]
        position = _decode_cursor(cursor) if cursor else None
        if position is not None and not query.sort:
            position = (None, position[1])
        if position is not None and query.sort and position[0] is None:
            raise BadRequest("cursor does not belong to this sort")
        page = listing.page(query, position, limit)

        headers = {
            "X-Total-Count": str(page.total),
            "Content-Type": "application/json; charset=utf-8",
        }
        if page.next_position is not None:
            kept = [
                (k, v)
                for k, v in parse_qsl(self._query_text, keep_blank_values=True)
                if k != "cursor"
            ]
            kept.append(("cursor", _encode_cursor(page.next_position)))
            host = self.headers.get("Host") or self.hub.url.removeprefix("http://")
            headers["Link"] = f'<http://{host}/api/{kind}?{urlencode(kept)}>; rel="next"'
        items = page.items
        if self.hub.era != DEFAULT_ERA and kind == "models":
            items = map(EraState(listing.state, self.hub.era).convert, items)
        chunks = (_dumps(_project(item, keys)) for item in items)
        if self._fault is Fault.TRUNCATE:
            body = b"[" + b",".join(chunks) + b"]"
            self._send_truncated(headers, body)
            return
        self._send_stream(200, headers, chunks)

    def _projection(self, params: dict[str, list[str]], *, listing_: bool) -> frozenset[str]:
        expand = [e for value in params.get("expand", []) for e in value.split(",") if e]
        flags = (
            _truthy(params.get("full")),
            _truthy(params.get("cardData")),
            _truthy(params.get("config")),
        )
        if expand:
            if any(flags):
                raise BadRequest("expand cannot be combined with full, cardData or config")
            allowed = LISTING_EXPANDABLE if listing_ else EXPANDABLE
            unknown = sorted(set(expand) - allowed)
            if unknown:
                raise BadRequest(
                    f'"expand" must be one of {sorted(allowed)}; got {unknown}'
                    + (
                        " (not available when listing models)"
                        if set(unknown) & INFO_ONLY_EXPAND
                        else ""
                    )
                )
            return frozenset({"_id", "id", *expand})
        full, card_data, config = flags
        keys = set(FULL_KEYS if full else DEFAULT_KEYS)
        if card_data:
            keys.add("cardData")
        if config:
            keys.add("config")
        return frozenset(keys)

    def _model_info(self, listing: _Listing, model_id: str) -> None:
        params = self._params()
        state = (
            listing.state if self.hub.era == DEFAULT_ERA else EraState(listing.state, self.hub.era)
        )
        item = state.get_item(model_id)
        if item is None:
            new_id = state.redirect_for(model_id)
            if new_id is not None:
                location = f"/api/models/{quote(new_id, safe='/')}"
                if self._query_text:
                    location += f"?{self._query_text}"
                body = f"Temporary Redirect. Redirecting to {location}".encode()
                self._send_bytes(
                    307, {"Location": location, "Content-Type": "text/plain; charset=utf-8"}, body
                )
                return
            self._send_json(
                404,
                {"error": "Repository not found"},
                headers={"X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found"},
            )
            return
        if params.get("expand"):
            item = _project(item, self._projection(params, listing_=False))
        body = _dumps(item)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self._fault is Fault.TRUNCATE:
            self._send_truncated(headers, body)
            return
        self._send_bytes(200, headers, body)

    # --- writing ----------------------------------------------------------------------------

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self._status = status
        self.send_response(status)
        if self.hub.announce_date:
            self.send_header("X-Simulated-Date", self._date.isoformat())
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send_bytes(
            status,
            {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
            _dumps(obj),
        )

    def _send_bytes(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self._start(status, {**headers, "Content-Length": str(len(body))})
        self._bytes += len(body)
        self._log()
        self.wfile.write(body)

    def _send_truncated(self, headers: dict[str, str], body: bytes) -> None:
        """Announce the whole body, send part of it, close: what a cut connection looks like."""
        self._start(200, {**headers, "Content-Length": str(len(body))})
        part = body[: len(body) // 2]
        self._bytes += len(part)
        self.close_connection = True
        self._log()
        self.wfile.write(part)

    def _send_stream(self, status: int, headers: dict[str, str], items: Iterator[bytes]) -> None:
        """A JSON array written item by item in chunked encoding, never as one string."""
        self._start(status, {**headers, "Transfer-Encoding": "chunked"})
        buffer = bytearray(b"[")
        for i, chunk in enumerate(items):
            if i:
                buffer += b","
            buffer += chunk
            if len(buffer) >= _CHUNK:
                self._write_chunk(buffer)
                buffer = bytearray()
        buffer += b"]"
        self._bytes += len(buffer)
        self._log()
        self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(buffer), bytes(buffer)))

    def _write_chunk(self, data: bytearray) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), bytes(data)))
        self._bytes += len(data)


def main_serve(
    port: int,
    models: int,
    seed: int,
    day: date,
    era: str = DEFAULT_ERA,
    faults: FaultConfig | None = None,
) -> None:
    """`hub-census simulate serve`: serve one simulated day until interrupted."""
    from pipeline.simulator.world import World, WorldConfig

    state = World(WorldConfig(seed=seed, start_date=day, n_models=models)).state(day)
    hub = SimulatedHub(state, port=port, era=era, faults=faults)
    print(
        f"Simulated Hub for {day.isoformat()} ({len(state)} models, {era} shape) at {hub.url}",
        flush=True,
    )
    try:
        hub.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
