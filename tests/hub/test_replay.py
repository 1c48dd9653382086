"""Replaying recorded listings into the raw layout: real recordings, bad lines, compression."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.hub import RawSnapshot, ReplayError, replay_file, replay_files
from pipeline.hub.raw import MANIFEST, REJECTED
from tests.hub.conftest import DAY


def read_gz_lines(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_replay_of_recorded_trees(hubdata, tmp_path):
    """A plain JSON Lines source of clean items takes the bulk path too: its lines become one
    page, byte for byte, compressed."""
    trees = sorted((hubdata / "trees").glob("*.jsonl"))
    combined = tmp_path / "trees.jsonl"
    combined.write_bytes(b"".join(p.read_bytes() for p in trees))
    manifest = replay_file(combined, tmp_path / "raw", DAY, page_size=50)
    # hubdata/README.md: "223 models in all".
    assert manifest.model_count == 223 and manifest.rejected_count == 0
    assert manifest.pages == 1 and manifest.files[0].rows == 223
    page = gzip.decompress((tmp_path / "raw" / manifest.files[0].name).read_bytes())
    assert page.splitlines() == combined.read_bytes().splitlines()
    assert (
        manifest.source == "file"
        and manifest.source_sha256 == hashlib.sha256(combined.read_bytes()).hexdigest()
    )
    items = list(RawSnapshot(tmp_path / "raw").iter_items())
    first_line = json.loads(trees[0].read_text().splitlines()[0])
    assert items[0] == first_line
    assert RawSnapshot(tmp_path / "raw").rejected_file() is None


def test_recorded_trees_gzipped_take_the_bulk_path(hubdata, tmp_path):
    """Real cards hold text such as `, inference-enabling code` (Llama's licence) or `: Information
    Technology`: taken for a bare `inf` value, one such line would send a whole-Hub replay down the
    line-by-line path. The real records are clean, so the source's bytes become the page."""
    trees = sorted((hubdata / "trees").glob("*.jsonl"))
    source = tmp_path / "trees.jsonl.gz"
    source.write_bytes(gzip.compress(b"".join(p.read_bytes() for p in trees)))
    assert b", inference-enabling" in gzip.decompress(source.read_bytes())
    manifest = replay_file(source, tmp_path / "raw", DAY)
    assert manifest.model_count == 223 and manifest.rejected_count == 0 and manifest.pages == 1
    assert (tmp_path / "raw" / manifest.files[0].name).read_bytes() == source.read_bytes()


def test_replay_of_recorded_api_responses(hubdata, tmp_path):
    source = hubdata / "api-responses"
    manifest = replay_file(source, tmp_path, DAY)
    names = sorted(p.name for p in source.iterdir())
    redirects = [n for n in names if "_307_" in n]
    assert len(names) == 76 and len(redirects) == 4  # hubdata/README.md and the file names
    assert manifest.model_count == 72 and manifest.skipped_count == 4
    assert sorted(s["file"] for s in manifest.skipped) == redirects
    assert all("307" in s["reason"] for s in manifest.skipped)
    items = list(RawSnapshot(tmp_path).iter_items())
    gpt2 = [i for i in items if i["id"] == "gpt2"]
    assert gpt2 and gpt2[0]["_id"] == "621ffdc036468d709f17434d"
    on_disk = json.loads((tmp_path / MANIFEST).read_text())
    assert on_disk["skipped_count"] == 4 and on_disk["complete"] is True


def test_bad_lines_go_to_rejected(tmp_path):
    huge = "x" * (70 * 1024)
    lines = [
        b'{"_id": "a1", "id": "org/a"}',
        b'{"_id": "a2", "id": "org/b"',  # 2: cut short
        b'["not", "an", "object"]',  # 3
        b'"just a string"',  # 4
        b"",  # 5: empty
        b"42",  # 6
        b'{"_id": "a3", "id": "org/\xff"}',  # 7: not UTF-8
        json.dumps(huge).encode(),  # 8: a long string, truncated in the preview
        b'{"_id": "a4", "id": "org/c"}\r',  # 9: CRLF line ending is fine
    ]
    source = tmp_path / "listing.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    manifest = replay_file(source, tmp_path / "raw", DAY)
    assert manifest.model_count == 2 and manifest.rejected_count == 7
    rejected = read_gz_lines(tmp_path / "raw" / REJECTED)
    assert [r["line_no"] for r in rejected] == [2, 3, 4, 5, 6, 7, 8]
    reasons = [r["reason"] for r in rejected]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1:5] == [
        "a JSON list, not an object",
        "a JSON str, not an object",
        "empty line",
        "a JSON int, not an object",
    ]
    assert reasons[5].startswith("not UTF-8")
    long_one = rejected[6]
    assert long_one["length"] == len(lines[7]) and len(long_one["raw"]) == 64 * 1024
    assert long_one["sha256"] == hashlib.sha256(lines[7]).hexdigest()
    assert [i["id"] for i in RawSnapshot(tmp_path / "raw").iter_items()] == ["org/a", "org/c"]


def test_gzip_source_and_reuse(tmp_path):
    records = [{"_id": f"{i:024x}", "id": f"o/m{i}"} for i in range(2500)]
    source = tmp_path / "listing.jsonl.gz"
    with gzip.open(source, "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
    seen = []
    manifest = replay_file(source, tmp_path / "raw", DAY, progress=seen.append)
    # every line clean: the source itself becomes the one page, byte for byte
    assert manifest.model_count == 2500 and manifest.pages == 1
    assert [p.models for p in seen] == [2500]
    assert (tmp_path / "raw" / manifest.files[0].name).read_bytes() == source.read_bytes()
    assert list(RawSnapshot(tmp_path / "raw").iter_items()) == records
    # a complete snapshot of the same file is not replayed again: its page is not rewritten...
    page = tmp_path / "raw" / manifest.files[0].name
    written = page.stat().st_mtime_ns
    assert replay_file(source, tmp_path / "raw", DAY) == manifest
    assert page.stat().st_mtime_ns == written
    # ...nor taken for the file once the file has changed...
    source.write_bytes(b"")
    with pytest.raises(ReplayError, match="before the file changed"):
        replay_file(source, tmp_path / "raw", DAY)
    assert RawSnapshot(tmp_path / "raw").manifest() == manifest
    with pytest.raises(ReplayError, match="no model items"):  # ...and forced, replays it
        replay_file(source, tmp_path / "raw", DAY, force=True)
    assert not (tmp_path / "raw" / MANIFEST).exists()


def test_a_complete_snapshot_of_other_recordings_is_refused(tmp_path):
    """A date replayed from one file and then asked of another (or of other files together) is
    refused, naming both, and its snapshot is left as it was: the day was silently built from
    the first file. `force` replays the one asked."""
    files = {}
    for name, ids in (("a.jsonl", "abc"), ("b.jsonl", "de"), ("c.jsonl", "f")):
        files[name] = tmp_path / name
        files[name].write_text(
            "".join(json.dumps({"_id": f"{i}" * 24, "id": f"org/{i}"}) + "\n" for i in ids)
        )
    raw = tmp_path / "raw"
    first = replay_file(files["a.jsonl"], raw, DAY)
    with pytest.raises(ReplayError, match=r"replayed from .*a\.jsonl.*as if it were b\.jsonl"):
        replay_file(files["b.jsonl"], raw, DAY)
    with pytest.raises(ReplayError, match=r"as if it were b\.jsonl, c\.jsonl"):
        replay_files([files["b.jsonl"], files["c.jsonl"]], raw, DAY)
    assert RawSnapshot(raw).manifest() == first
    assert replay_file(files["b.jsonl"], raw, DAY, force=True).model_count == 2
    # several files together: the same files are the same snapshot; another set, or one of them
    # changed since, is not
    both = replay_files([files["a.jsonl"], files["b.jsonl"]], raw, DAY, force=True)
    assert replay_files([files["a.jsonl"], files["b.jsonl"]], raw, DAY) == both
    with pytest.raises(ReplayError, match=r"replayed from a\.jsonl, b\.jsonl"):
        replay_files([files["a.jsonl"], files["c.jsonl"]], raw, DAY)
    files["b.jsonl"].write_text(json.dumps({"_id": "9" * 24, "id": "org/9"}) + "\n")
    with pytest.raises(ReplayError, match=r"replayed from b\.jsonl before the file changed"):
        replay_files([files["a.jsonl"], files["b.jsonl"]], raw, DAY)
    assert RawSnapshot(raw).manifest() == both


def test_zstd_source_replays_like_gzip(tmp_path):
    """A .zst archive needs nothing beyond the declared packages: the same lines as a .gz give
    the same items and the same rejection, whether DuckDB's bulk check clears a line or Python
    checks it (the bad line). DuckDB reads the frame with its own zstd, Python through pyarrow's."""
    records = [{"_id": f"{i:024x}", "id": f"o/m{i}"} for i in range(1500)]
    lines = [json.dumps(r).encode() for r in records]
    text = b"\n".join([*lines[:700], b'{"id": "o/x", "likes": NaN}', *lines[700:]]) + b"\n"
    gz, zst = tmp_path / "listing.jsonl.gz", tmp_path / "listing.jsonl.zst"
    gz.write_bytes(gzip.compress(text))
    with pa.CompressedOutputStream(str(zst), "zstd") as out:
        out.write(text)
    assert zst.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"  # the zstd frame magic
    by_gzip = replay_file(gz, tmp_path / "raw-gz", DAY)
    by_zstd = replay_file(zst, tmp_path / "raw-zst", DAY)
    assert by_zstd.model_count == by_gzip.model_count == 1500
    assert by_zstd.rejected_count == by_gzip.rejected_count == 1
    (rejected,) = read_gz_lines(tmp_path / "raw-zst" / REJECTED)
    assert rejected["line_no"] == 701 and "nan" in rejected["reason"].lower()
    assert list(RawSnapshot(tmp_path / "raw-zst").iter_items()) == records


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:4],
        lambda data: data[: len(data) // 2],
        lambda data: data[:-3],
        lambda data: data[:20] + bytes(b ^ 0xFF for b in data[20:60]) + data[60:],
    ],
    ids=["magic only", "half", "all but the end", "bytes flipped"],
)
def test_damaged_zstd_is_a_clear_error(tmp_path, damage):
    """A cut or corrupt archive is refused whole, never replayed as the lines before the damage."""
    whole = tmp_path / "whole.jsonl.zst"
    with pa.CompressedOutputStream(str(whole), "zstd") as out:
        out.write(b"".join(json.dumps({"id": f"o/m{i}"}).encode() + b"\n" for i in range(5000)))
    source = tmp_path / "listing.jsonl.zst"
    source.write_bytes(damage(whole.read_bytes()))
    with pytest.raises(ReplayError, match=r"listing\.jsonl\.zst cannot be read"):
        replay_file(source, tmp_path / "raw", DAY)
    assert not (tmp_path / "raw" / MANIFEST).exists()


def test_missing_source(tmp_path):
    with pytest.raises(ReplayError, match="no recording"):
        replay_file(tmp_path / "nope.jsonl", tmp_path / "raw", DAY)


_CLEAN = [{"_id": f"{i:024x}", "id": f"o/m{i}", "downloads": i} for i in range(20)]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b"", "empty line"),
        (b'{"a":' + b"[" * 200 + b"]" * 200 + b"}", "too_deep"),
        (b'{"id": "o/x", "likes": NaN}', "NaN"),
        (b'{"id": "o/x",}', "invalid JSON"),
        (b'{"id": "o/\xff"}', "not UTF-8"),
        (b'{"id": "o/\\ud800"}', "surrogate"),
        (b'{"id": "o/x", "likes": ' + b"9" * 5000 + b"}", "invalid JSON"),
        (b"[1]", "a JSON list"),
    ],
)
def test_gzip_source_with_one_bad_line_keeps_the_others(tmp_path, bad, reason):
    """Whatever the bulk check of a clean .jsonl.gz would let through or skip, one bad line among
    clean ones is still rejected with its reason and the others kept (a blank line sends the
    source line by line; the others are checked alone, tests/hub/test_replay_bulk.py)."""
    lines = [json.dumps(r).encode() for r in _CLEAN]
    source = tmp_path / "listing.jsonl.gz"
    source.write_bytes(gzip.compress(b"\n".join([*lines[:10], bad, *lines[10:]]) + b"\n"))
    manifest = replay_file(source, tmp_path / "raw", DAY)
    assert manifest.model_count == 20 and manifest.rejected_count == 1
    (rejected,) = read_gz_lines(tmp_path / "raw" / REJECTED)
    assert rejected["line_no"] == 11 and reason.lower() in rejected["reason"].lower()
    assert list(RawSnapshot(tmp_path / "raw").iter_items()) == _CLEAN


def test_clean_gzip_source_with_many_brackets_is_kept_as_is(tmp_path):
    """A shallow item with hundreds of brackets (a long file list) is not taken for a deep one."""
    item = {"_id": "0" * 24, "id": "o/m", "siblings": [{"rfilename": f"f{i}"} for i in range(300)]}
    source = tmp_path / "listing.jsonl.gz"
    source.write_bytes(gzip.compress(json.dumps(item).encode() + b"\n"))
    manifest = replay_file(source, tmp_path / "raw", DAY)
    assert manifest.pages == 1 and manifest.rejected_count == 0
    assert (tmp_path / "raw" / manifest.files[0].name).read_bytes() == source.read_bytes()
    assert list(RawSnapshot(tmp_path / "raw").iter_items()) == [item]


@pytest.mark.parametrize(
    "line",
    [
        b'{"id":"org/n","x":nan}',
        b'{"id":"org/i","x":[-Inf]}',
        b'{"id":"org/i","x": INFINITY}',
        b'\x0c{"id":"org/f"}',
        b'{"id":"org/v"}\x0b',
    ],
    ids=["nan", "-Inf", "INFINITY", "form feed", "vertical tab"],
)
def test_gzip_source_with_what_duckdb_reads_and_python_refuses(tmp_path, line):
    """DuckDB reads nan and inf in any case, and skips a vertical tab or form feed at a line's
    ends; Python's json refuses them all. Before, the bulk check let these lines through and the
    source was copied as the page with them; now Python checks them and rejects them, as in a
    plain .jsonl source."""
    lines = [b'{"id":"org/a"}', line, b'{"id":"org/b"}']
    plain, packed = tmp_path / "in.jsonl", tmp_path / "in.jsonl.gz"
    plain.write_bytes(b"\n".join(lines) + b"\n")
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    outcomes = []
    for source in (plain, packed):
        raw = tmp_path / source.name.replace(".", "_")
        manifest = replay_file(source, raw, DAY)
        reasons = [
            json.loads(r)["reason"]
            for r in gzip.decompress((raw / REJECTED).read_bytes()).splitlines()
        ]
        outcomes.append((manifest.model_count, manifest.rejected_count, reasons))
    assert outcomes[0] == outcomes[1] and outcomes[0][:2] == (2, 1)
    assert outcomes[0][2][0].startswith("invalid JSON")


def test_recordings_of_one_date_replay_as_one_snapshot(tmp_path):
    """Two recordings of one date (a gzip one with a bad line, a plain one) become one snapshot:
    every item of both in pages numbered on, each bad line rejected with its own recording's name
    and line number, and the manifest naming each recording and their bytes' sha256."""
    first = tmp_path / "a_20250422.jsonl.gz"
    first.write_bytes(
        gzip.compress(b'{"_id": "a1", "id": "org/a"}\n[1]\n{"_id": "a2", "id": "org/b"}\n')
    )
    second = tmp_path / "b_20250422.jsonl"
    second.write_bytes(b'{"_id": "a3", "id": "org/c"}\n"text"\n{"_id": "a1", "id": "org/a"}\n')
    raw = tmp_path / "raw"
    reports = []
    manifest = replay_files([first, second], raw, DAY, progress=reports.append)
    assert manifest.model_count == 4 and manifest.rejected_count == 2
    # progress after each recording: pages and models so far
    assert [(r.pages, r.models) for r in reports] == [(1, 2), (2, 4)]
    # both recordings' items, in the order given, the one listed twice kept twice for staging
    items = [i["id"] for i in RawSnapshot(raw).iter_items()]
    assert items == ["org/a", "org/b", "org/c", "org/a"]
    assert [f.name for f in manifest.files] == [f"page-{n:06d}.jsonl.gz" for n in (1, 2)]
    assert all((raw / f.name).is_file() for f in manifest.files)
    rejected = read_gz_lines(raw / REJECTED)
    assert [(r["file"], r["line_no"]) for r in rejected] == [(first.name, 2), (second.name, 2)]
    assert manifest.sources == [
        {
            "name": first.name,
            "sha256": hashlib.sha256(first.read_bytes()).hexdigest(),
            "records": 3,
            "pages": ["page-000001.jsonl.gz"],
        },
        {
            "name": second.name,
            "sha256": hashlib.sha256(second.read_bytes()).hexdigest(),
            "records": 3,
            "pages": ["page-000002.jsonl.gz"],
        },
    ]
    both = first.read_bytes() + second.read_bytes()
    assert manifest.source_sha256 == hashlib.sha256(both).hexdigest()
    # nothing of the parts is left beside the snapshot
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, second.name, "raw"])


def test_a_recording_without_items_fails_its_date_whole(tmp_path):
    good = tmp_path / "a.jsonl"
    good.write_bytes(b'{"_id": "a1", "id": "org/a"}\n')
    empty = tmp_path / "b.jsonl"
    empty.write_bytes(b"")
    raw = tmp_path / "raw"
    with pytest.raises(ReplayError, match=r"b\.jsonl, one of 2 recordings"):
        replay_files([good, empty], raw, DAY)
    # the first recording's page is not left to look like a start of the snapshot
    assert not RawSnapshot(raw).is_complete() and not list(raw.iterdir())


def test_a_saved_api_response_array_replays_as_its_items(tmp_path):
    """`GET /api/models` answers with one JSON array: saved as it came (pretty-printed here),
    each element is one line of the snapshot, equal as JSON to the element; one that is not an
    object is rejected with its reason, as in a JSON Lines source."""
    items = [
        {"modelId": "bert-base-uncased", "tags": ["license:apache-2.0"], "downloads": 1.5e3},
        {"_id": "a" * 24, "id": "org/é-😀", "cardData": {"license": "mit"}, "note": 'a\nb\t"c"'},
        42,
        {"modelId": "gpt2", "config": None},
    ]
    source = tmp_path / "models-2022-02-21.json"
    source.write_text(json.dumps(items, indent=2, ensure_ascii=True), encoding="utf-8")
    raw = tmp_path / "raw"
    manifest = replay_file(source, raw, DAY)
    assert (manifest.model_count, manifest.rejected_count) == (3, 1)
    assert list(RawSnapshot(raw).iter_items()) == [items[0], items[1], items[3]]
    [rejected] = read_gz_lines(raw / REJECTED)
    assert (rejected["line_no"], rejected["reason"]) == (3, "a JSON int, not an object")
    assert manifest.source_sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    # a single saved item is a document of one
    one = tmp_path / "one.json"
    one.write_text(json.dumps(items[1], indent=1), encoding="utf-8")
    assert replay_file(one, tmp_path / "raw1", DAY).model_count == 1
    # nothing of the conversion is left beside the snapshots
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_json_document_that_is_not_json_is_one_clear_error(tmp_path):
    source = tmp_path / "broken.json"
    source.write_text('[{"id": "a/b"}, {"id": ', encoding="utf-8")
    with pytest.raises(ReplayError, match="is not a readable JSON document"):
        replay_file(source, tmp_path / "raw", DAY)
    assert not RawSnapshot(tmp_path / "raw").is_complete()
