"""Issue 13 item 5 and item 10: one hostile record (nested 100,000 levels, or 64 MiB) is set aside
with its reason and the rest of the day is published, through replay and crawl alike; a
recording that is no listing at all is one clear error; long lines are read bounded.

Before this, the deep record stopped the day with RecursionError (replay and crawl), and a 34 MiB
record failed staging with DuckDB's `maximum_object_size` error.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.cli import EXIT_USAGE, main
from pipeline.hub.crawl import RetryPolicy, crawl_models
from pipeline.hub.raw import MAX_JSON_DEPTH, MAX_RECORD_BYTES, RAW_PREVIEW_CHARS
from pipeline.hub.replay import ReplayError, replay_file
from pipeline.paths import Layout
from pipeline.staging import stage_models
from tests.hub.conftest import DAY

DEPTH = 100_000
BIG = 64 << 20


def good(n: int) -> bytes:
    return json.dumps({"_id": f"{n:024x}", "id": f"org/m{n}", "downloads": n}).encode()


def deep_line() -> bytes:
    return b'{"_id":"%024x","id":"org/deep","cardData":' % 9 + b"[" * DEPTH + b"]" * DEPTH + b"}"


def big_line() -> bytes:
    head = b'{"_id":"%024x","id":"org/big","cardData":{"pad":"' % 8
    return head + b"p" * (BIG - len(head) - 3) + b'"}}'


def staged_day(root: Path) -> tuple[set[str], dict[str, tuple[str, int, str]]]:
    """The staged ids and, per quarantine reason, (stage, raw_length, raw_sha256)."""
    layout = Layout(root)
    result = stage_models(layout, DAY)
    import duckdb

    with duckdb.connect() as conn:
        ids = {
            r[0]
            for r in conn.execute(
                "select model_id from read_parquet(?)", [str(result.paths["models_staged"])]
            ).fetchall()
        }
        quarantine = {
            r[0]: (r[1], r[2], r[3])
            for r in conn.execute(
                "select reason, stage, raw_length, raw_sha256 from read_parquet(?)",
                [str(result.paths["quarantine"])],
            ).fetchall()
        }
    return ids, quarantine


def test_replay_sets_aside_deep_and_huge_records_and_publishes_the_rest(tmp_path):
    deep, big = deep_line(), big_line()
    source = tmp_path / "hostile.jsonl"
    source.write_bytes(b"\n".join([good(1), deep, good(2), big, good(3)]) + b"\n")
    del big
    root = tmp_path / "out"
    tracemalloc.start()
    try:
        manifest = replay_file(source, Layout(root).raw_models(DAY), DAY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the 64 MiB line is never held whole: a bounded read of MAX_RECORD_BYTES and its copy
    assert peak < 3 * MAX_RECORD_BYTES < BIG
    assert (manifest.model_count, manifest.rejected_count) == (3, 2)

    ids, quarantine = staged_day(root)
    assert ids == {"org/m1", "org/m2", "org/m3"}
    assert quarantine["too_deep"] == ("ingest", len(deep), hashlib.sha256(deep).hexdigest())
    stage, length, sha = quarantine["record_too_large"]
    assert (stage, length) == ("ingest", BIG)
    expected = hashlib.sha256(source.read_bytes().split(b"\n")[3]).hexdigest()
    assert sha == expected  # hashed while streaming past, equal to the whole line's hash
    with gzip.open(root / "raw" / "models" / f"snapshot_date={DAY}" / "rejected.jsonl.gz") as f:
        previews = [json.loads(line)["raw"] for line in f]
    assert all(len(p) <= RAW_PREVIEW_CHARS for p in previews)


def test_depth_bound_is_exact(tmp_path):
    """MAX_JSON_DEPTH levels are kept, one more is set aside (a bound, not RecursionError luck)."""

    def nested(depth: int, n: int) -> bytes:
        # the record object itself is level 1
        inner = depth - 1
        return b'{"_id":"%024x","id":"org/d%d","x":' % (n, n) + b"[" * inner + b"]" * inner + b"}"

    source = tmp_path / "depth.jsonl"
    source.write_bytes(nested(MAX_JSON_DEPTH, 1) + b"\n" + nested(MAX_JSON_DEPTH + 1, 2) + b"\n")
    manifest = replay_file(source, tmp_path / "raw", DAY)
    assert (manifest.model_count, manifest.rejected_count) == (1, 1)
    with gzip.open(tmp_path / "raw" / "rejected.jsonl.gz") as f:
        [rejected] = [json.loads(line) for line in f]
    assert (rejected["line_no"], rejected["reason"]) == (2, "too_deep")


class _Pages(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.send_header("X-Simulated-Date", DAY.isoformat())
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def one_page_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("hostile", ["deep", "big"])
def test_crawl_sets_aside_a_hostile_item_and_publishes_the_rest(one_page_server, tmp_path, hostile):
    line = deep_line() if hostile == "deep" else big_line()
    one_page_server.RequestHandlerClass.body = b"[" + b",".join([good(1), line, good(2)]) + b"]"
    root = tmp_path / "out"
    endpoint = f"http://127.0.0.1:{one_page_server.server_address[1]}"
    manifest = crawl_models(
        endpoint, Layout(root).raw_models(DAY), DAY, retry=RetryPolicy(sleep=lambda s: None)
    )
    assert (manifest.model_count, manifest.rejected_count) == (2, 1)
    ids, quarantine = staged_day(root)
    assert ids == {"org/m1", "org/m2"}
    reason = "too_deep" if hostile == "deep" else "record_too_large"
    assert list(quarantine) == [reason] and quarantine[reason][0] == "ingest"
    if hostile == "deep":  # the item's own text, cut out of the page
        assert quarantine[reason][1:] == (len(line), hashlib.sha256(line).hexdigest())


def test_records_of_several_mb_are_kept(tmp_path):
    """A real 2022 item with a long file list was 1.6 MB; such records are data, not junk."""
    siblings = [{"rfilename": f"checkpoints/step-{i:06d}/pytorch_model.bin"} for i in range(60_000)]
    item = {"modelId": "org/many-files", "siblings": siblings}
    source = tmp_path / "big.jsonl"
    source.write_text(json.dumps(item) + "\n")
    assert 2 << 20 < source.stat().st_size < MAX_RECORD_BYTES
    root = tmp_path / "out"
    replay_file(source, Layout(root).raw_models(DAY), DAY)
    ids, quarantine = staged_day(root)
    assert ids == {"org/many-files"} and quarantine == {}


def _gzip_truncated(path: Path) -> None:
    data = gzip.compress(b"".join(good(n) + b"\n" for n in range(2000)))
    path.write_bytes(data[: len(data) // 2])


BAD_SOURCES = {
    "empty.jsonl": lambda p: p.write_bytes(b""),
    "truncated.jsonl.gz": _gzip_truncated,
    "garbage.jsonl": lambda p: p.write_bytes(bytes(range(256)) * 40),
    "garbage.jsonl.gz": lambda p: p.write_bytes(b"\x1f\x8b" + bytes(range(256)) * 4),
    # an array is a JSON document: read as one in a `.json` file, refused as JSON Lines
    "array.jsonl": lambda p: p.write_text(json.dumps([{"id": "org/a"}, {"id": "org/b"}])),
    "pretty_array.jsonl": lambda p: p.write_text(json.dumps([{"id": "org/a"}], indent=2)),
    "cut_short.json": lambda p: p.write_text('[{"id": "org/a"}, {"id": "org/'),
    "no_items.json": lambda p: p.write_text("[]"),
    "not.parquet": lambda p: p.write_bytes(b"PAR1 but not really"),
}


@pytest.mark.parametrize("name", sorted(BAD_SOURCES))
def test_bad_recording_is_one_clear_error(tmp_path, name):
    source = tmp_path / name
    BAD_SOURCES[name](source)
    with pytest.raises(ReplayError) as info:
        replay_file(source, tmp_path / "raw", DAY)
    message = str(info.value)
    assert str(source) in message and "\n" not in message
    assert not (tmp_path / "raw" / "_manifest.json").exists()


@pytest.mark.parametrize("name", ["truncated.jsonl.gz", "array.jsonl", "cut_short.json"])
def test_run_with_a_bad_recording_exits_2_with_one_line(tmp_path, capsys, name):
    source = tmp_path / name
    BAD_SOURCES[name](source)
    code = main(
        ["run", "--date", str(DAY), "--from-file", str(source), "--out", str(tmp_path / "out")]
    )
    out = capsys.readouterr().out.strip()
    assert code == EXIT_USAGE
    assert out.startswith("error: ") and str(source) in out and "\n" not in out
