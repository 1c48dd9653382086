"""The crawl's bulk path (issue 14): a page of plainly clean items is checked by DuckDB in one read
and written as the server sent it, with no per-item work in Python; any other page takes the
item-by-item path of before, with the same reasons. Truth is that path itself (forced by turning
the bulk check off) and the server's own bytes."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest

import pipeline.hub.crawl as crawl_module
from pipeline.hub.crawl import CrawlError, RetryPolicy, crawl_models
from pipeline.hub.raw import MAX_JSON_DEPTH
from pipeline.paths import Layout
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.world import World, WorldConfig
from pipeline.staging import stage_models
from tests.hub.hostile import send_body, serve

DAY = date(2025, 3, 1)


def fast() -> RetryPolicy:
    return RetryPolicy(
        base_delay=0.0, max_delay=0.0, sleep=lambda _s: None, max_attempts_per_request=2
    )


def item(n: int, extra: str = "") -> bytes:
    return b'{"_id":"%024x","id":"org/m%d","downloads":%d%s}' % (n, n, n, extra.encode())


def page(*items: bytes) -> bytes:
    return b"[" + b",".join(items) + b"]"


def page_lines(raw: Path) -> list[bytes]:
    lines = []
    for path in sorted(raw.glob("page-*.jsonl.gz")):
        lines += gzip.decompress(path.read_bytes()).splitlines(keepends=True)
    return lines


def rejected(raw: Path) -> list[dict]:
    path = raw / "rejected.jsonl.gz"
    if not path.exists():
        return []
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


@pytest.fixture
def paths(monkeypatch) -> list[str]:
    """Which path each page took, in order: `bulk` or `items`."""
    taken: list[str] = []
    scan = crawl_module._PageScanner.scan

    def recorded(self, body: bytes):
        clean = scan(self, body)
        taken.append("items" if clean is None else "bulk")
        return clean

    monkeypatch.setattr(crawl_module._PageScanner, "scan", recorded)
    return taken


def test_clean_page_lines_are_the_servers_item_texts(tmp_path, paths):
    """Spacing, escapes and number spelling as sent; the blanks between items are not lines."""
    texts = [
        item(1),
        b'{"_id": "%024x", "id": "org/caf\\u00e9", "likes": 1.50, "n": 123456789012345678901234}'
        % 2,
        b'{"_id":"%024x",\t"id":"org/tab","x":"\\"quoted\\" \\/ \\n","e":1E5,"u":"\xe2\x80\xa8"}'
        % 3,
    ]
    body = b"[\r\n  " + b" ,\r\n  ".join(texts) + b"\n]\n"
    with serve(lambda h, n: send_body(h, body, DAY)) as hub:
        manifest = crawl_models(hub.url, tmp_path / "raw", DAY, retry=fast())
    assert paths == ["bulk"] and manifest.model_count == 3 and manifest.rejected_count == 0
    assert page_lines(tmp_path / "raw") == [text + b"\n" for text in texts]


def test_a_clean_listing_is_crawled_with_no_per_item_python(tmp_path, monkeypatch, paths):
    """Python's json, the item checks and the encoder all raise: a clean listing of 2,500 models
    is crawled all the same (on the code before, json.loads of the first page raised). Python
    measures the depth of no item: SQL clears every item, long file lists included."""

    def forbidden(*args, **kwargs):
        raise AssertionError("per-item work in Python on the crawl's hot path")

    class NoLoads:
        dumps = staticmethod(json.dumps)
        loads = staticmethod(forbidden)

    monkeypatch.setattr(crawl_module, "json", NoLoads)
    for name in ("encode_record", "_item_problem", "_json_bytes", "_ids_digest"):
        monkeypatch.setattr(crawl_module, name, forbidden)
    measured: list[bytes] = []
    too_deep = crawl_module.too_deep
    monkeypatch.setattr(
        crawl_module, "too_deep", lambda text: measured.append(text) or too_deep(text)
    )
    state = World(WorldConfig(seed=3, start_date=DAY, n_models=2500)).state(DAY)
    with SimulatedHub(state) as hub:
        manifest = crawl_models(hub.url, tmp_path / "raw", DAY, page_size=500, retry=fast())
    assert paths == ["bulk"] * 5
    lines = page_lines(tmp_path / "raw")
    ids = [json.loads(line)["id"] for line in lines]
    assert manifest.model_count == len(ids) == len(set(ids)) == len(state)
    assert set(ids) == {i["id"] for i in state.iter_items()}
    # items with more brackets than the limit (long file lists) are cleared in SQL: none of
    # them nests anywhere near it, so Python measures none
    heavy = [line[:-1] for line in lines if line.count(b"[") + line.count(b"{") > MAX_JSON_DEPTH]
    assert heavy and measured == []


def test_a_crawl_of_the_world_stages_what_the_item_path_staged(tmp_path, monkeypatch, paths):
    """The same simulated day crawled on both paths: the same page bytes (the simulator sends
    compact JSON, which is what the item path wrote), hence the same staged rows."""
    state = World(WorldConfig(seed=7, start_date=DAY, n_models=3000)).state(DAY)
    roots = {"bulk": tmp_path / "bulk", "items": tmp_path / "items"}
    manifests = {}
    with SimulatedHub(state) as hub:
        manifests["bulk"] = crawl_models(
            hub.url, Layout(roots["bulk"]).raw_models(DAY), DAY, page_size=700, retry=fast()
        )
        monkeypatch.setattr(crawl_module._PageScanner, "scan", lambda self, body: None)
        manifests["items"] = crawl_models(
            hub.url, Layout(roots["items"]).raw_models(DAY), DAY, page_size=700, retry=fast()
        )
    assert paths == ["bulk"] * 5
    assert [f.sha256 for f in manifests["bulk"].files] == [
        f.sha256 for f in manifests["items"].files
    ]
    staged = {}
    for name, root in roots.items():
        result = stage_models(Layout(root), DAY)
        import duckdb

        with duckdb.connect() as conn:
            staged[name] = conn.execute(
                "select * from read_parquet(?) order by all", [str(result.paths["models_staged"])]
            ).fetchall()
        assert result.quarantine_by_reason == {}
    assert len(staged["bulk"]) == len(state) and staged["bulk"] == staged["items"]


DEEP = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
SHALLOW_HEAVY = b"[" + b",".join([b"[]"] * (MAX_JSON_DEPTH + 5)) + b"]"

# name: (body, the path the page takes). Every body is crawled on both paths and must end alike.
BODIES: dict[str, tuple[bytes, str]] = {
    "clean": (page(item(1), item(2), item(3)), "bulk"),
    "spaced": (b' [ {"_id" : "%024x" , "id" : "org/s"} ,\t{"id":"org/t"} ] ' % 1, "bulk"),
    "many brackets, shallow": (page(item(1, ',"x":' + SHALLOW_HEAVY.decode())), "bulk"),
    # an emoji escaped by an ASCII-only writer is a high-low pair: no lone surrogate
    "surrogate pair": (page(item(1, ',"e":"\\ud83d\\ude00"')), "bulk"),
    "surrogate pair, upper case": (page(item(1, ',"e":"\\uD83D\\uDE00"')), "bulk"),
    # JSON text held in a string (a dump's cardData): `\\ud83d` is a backslash, then text
    "escaped backslash": (page(item(1, ',"c":"{\\"e\\":\\"\\\\ud83d\\\\ude00\\"}"')), "bulk"),
    "escaped backslash, no escape": (page(item(1, ',"c":"\\\\ud800"')), "bulk"),
    "escaped backslash, then lone": (page(item(1, ',"e":"\\\\\\ud800"')), "items"),
    "high before a pair": (page(item(1, ',"e":"\\ud83d\\ud83d\\ude00"')), "items"),
    "low after a pair": (page(item(1, ',"e":"\\ud83d\\ude00\\ude00"')), "items"),
    "low before high": (page(item(1, ',"e":"\\ude00\\ud83d"')), "items"),
    "pretty": (
        json.dumps([{"id": "org/p", "x": [1, 2]}, {"id": "org/q"}], indent=2).encode(),
        "items",
    ),
    "NaN": (page(item(1), item(2, ',"x":NaN')), "items"),
    "-Infinity": (page(item(1), item(2, ',"x":-Infinity')), "items"),
    "nan": (page(item(1), item(2, ',"x":nan')), "items"),
    "-inf": (page(item(1), item(2, ',"x": -inf')), "items"),
    "INFINITY": (page(item(1), item(2, ',"x":[INFINITY]')), "items"),
    "1e400": (page(item(1), item(2, ',"x":1e400')), "bulk"),
    "lone surrogate": (page(item(1), item(2, ',"x":"\\ud800"')), "items"),
    "trailing comma": (page(item(1), item(2, ',"x":[1,]')), "items"),
    "long number": (page(item(1), item(2, ',"x":' + "9" * 5000)), "items"),
    "scalar item": (page(item(1), b"42", b'"text"', b"null"), "items"),
    "array item": (page(b"[1,2]", item(2)), "items"),
    "too deep": (page(item(1), item(2, ',"x":' + DEEP.decode())), "items"),
    "overflow": (page(*(item(n) for n in range(1, 8))), "items"),
    "empty array": (b"[]", "bulk"),
    "empty body": (b"", "items"),
    "blanks": (b" \n ", "items"),
    "byte order mark": (b"\xef\xbb\xbf" + page(item(1)), "items"),
    "object": (item(1), "items"),
    "utf-16": (page(item(1)).decode().encode("utf-16-le"), "items"),
    "invalid utf-8": (page(item(1)[:-1] + b',"x":"\xff"}'), "items"),
    "trailing garbage": (page(item(1)) + b" x", "items"),
    "truncated": (page(item(1), item(2))[:-5], "items"),
    "form feed": (b"[\x0c" + item(1) + b"]", "items"),
    "vertical tab": (page(item(1), item(2)) + b"\x0b", "items"),
    "control character": (page(item(1, ',"x":"a\x01b"')), "items"),
}


def crawl_outcome(url: str, raw: Path, page_size: int) -> tuple:
    try:
        manifest = crawl_models(url, raw, DAY, page_size=page_size, retry=fast())
    except CrawlError as exc:
        return ("error", str(exc).replace(str(raw), "RAW"))
    items = [json.loads(line) for line in page_lines(raw)]
    counts = (manifest.model_count, manifest.rejected_count, manifest.pages)
    return ("crawled", counts, repr(items), rejected(raw))


@pytest.mark.parametrize("name", sorted(BODIES))
def test_every_page_ends_as_on_the_item_path(tmp_path, monkeypatch, paths, name):
    """The same page crawled with the bulk check and without it (today's item-by-item path): the
    same items, the same rejected records with the same reasons, or the same error."""
    body, path = BODIES[name]
    page_size = 5 if name == "overflow" else 1000
    with serve(lambda h, n: send_body(h, body, DAY)) as hub:
        bulk = crawl_outcome(hub.url, tmp_path / "a", page_size)
        taken = list(paths)
        monkeypatch.setattr(crawl_module._PageScanner, "scan", lambda self, body: None)
        items = crawl_outcome(hub.url, tmp_path / "b", page_size)
    assert taken and set(taken) == {path}  # every attempt at the page (retries) alike
    assert bulk == items
    if name == "pretty":  # minified by the item path: one item, one line
        assert page_lines(tmp_path / "a") == [b'{"id":"org/p","x":[1,2]}\n', b'{"id":"org/q"}\n']


def test_both_paths_digest_a_page_alike():
    """A cursor loop is found by the ids' digest, whichever path each copy of the page took."""
    body = page(
        item(1),
        b'{"id":"org/caf\\u00e9\\"q\\"","x":1}',
        b'{"id":"org/\xc3\xa9"}',
        b'{"id":7}',
        b'{"x":"no id"}',
        b'{"id":null}',
    )
    with crawl_module._PageScanner(1000) as scanner:
        clean = scanner.scan(body)
    assert clean is not None and clean.rows == 6
    assert clean.ids_digest == crawl_module._ids_digest(json.loads(body))
    assert clean.ids_digest != crawl_module._ids_digest(json.loads(body)[:-1])


def test_a_page_of_real_recorded_items_takes_the_bulk_path(hubdata, tmp_path, monkeypatch, paths):
    """The recorded family trees (real listing items of 2025: long file lists, model-index tables,
    gated licence prompts with text such as `, inference-enabling code`) served as one page: each
    line is the item's own bytes, and Python measures the depth of none of them, though a tenth
    have more brackets than the depth bound."""
    texts = [
        line.strip()
        for path in sorted((hubdata / "trees").glob("*.jsonl"))
        for line in path.read_bytes().splitlines()
        if line.strip()
    ]
    assert len(texts) == 223  # hubdata/README.md
    assert sum(t.count(b"[") + t.count(b"{") > MAX_JSON_DEPTH for t in texts) > 20
    measured: list[bytes] = []
    too_deep = crawl_module.too_deep
    monkeypatch.setattr(
        crawl_module, "too_deep", lambda text: measured.append(text) or too_deep(text)
    )
    with serve(lambda h, n: send_body(h, page(*texts), DAY)) as hub:
        manifest = crawl_models(hub.url, tmp_path / "raw", DAY, retry=fast())
    assert paths == ["bulk"] and measured == []
    assert manifest.model_count == 223 and manifest.rejected_count == 0
    assert page_lines(tmp_path / "raw") == [text + b"\n" for text in texts]
