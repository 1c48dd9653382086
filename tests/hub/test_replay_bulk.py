"""The replay's bulk path against its line-by-line path (issue 14): a source with a few bad lines
among many clean ones, in any JSON Lines format, keeps the clean lines as they are and sets the
bad ones aside exactly as the line-by-line path does; a whole-Hub Parquet dump with emoji in its
cards takes the bulk path and stages the same rows."""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from pipeline.hub import RawSnapshot, replay_file
from pipeline.hub import replay as replay_module
from pipeline.hub.crawl import strict_json_problem
from pipeline.hub.raw import MAX_JSON_DEPTH, MAX_RECORD_BYTES, REJECTED
from pipeline.paths import Layout
from pipeline.sql import load_sql
from pipeline.staging import stage_models
from tests.hub.conftest import DAY

CLEAN = [
    json.dumps({"_id": f"{i:024x}", "id": f"o/m{i}", "tags": ["a"], "n": i}).encode()
    for i in range(40)
]
# nested 100 levels twice: too many brackets for SQL to clear, shallow enough for Python
TWO_NESTS = (
    b'{"id":"o/nests","a":' + b"[" * 100 + b"]" * 100 + b',"b":' + b"[" * 100 + b"]" * 100 + b"}"
)

BAD: dict[str, bytes] = {
    "NaN": b'{"id":"o/x","likes":NaN}',
    "nan": b'{"id":"o/x","x":[nan]}',
    "lone surrogate": b'{"id":"o/\\ud800"}',
    "trailing comma": b'{"id":"o/x",}',
    "long number": b'{"id":"o/x","likes":' + b"9" * 5000 + b"}",
    "too deep": b'{"a":' + b"[" * 200 + b"]" * 200 + b"}",
    "list": b"[1]",
    "scalar": b"42",
    "not JSON": b'{"id": "o/x"',
    "not UTF-8": b'{"id": "o/\xff"}',
    "two nests (kept)": TWO_NESTS,
    "spaces around (kept)": b' \t{"id":"o/spaced"}\t ',
}


def source(tmp_path: Path, lines: list[bytes], suffix: str, *, last_newline: bool = True) -> Path:
    body = b"\n".join(lines) + (b"\n" if last_newline else b"")
    path = tmp_path / f"listing{suffix}"
    path.write_bytes(gzip.compress(body) if suffix.endswith(".gz") else body)
    return path


def outcome(path: Path, raw: Path) -> tuple:
    manifest = replay_file(path, raw, DAY, page_size=10)
    rejected_file = raw / REJECTED
    rejected = (
        [
            (r["line_no"], r["reason"])
            for r in map(json.loads, gzip.decompress(rejected_file.read_bytes()).splitlines())
        ]
        if rejected_file.exists()
        else []
    )
    items = list(RawSnapshot(raw).iter_items())
    return manifest, (manifest.model_count, manifest.rejected_count, items, rejected)


def line_by_line(monkeypatch: pytest.MonkeyPatch, path: Path, raw: Path) -> tuple:
    with monkeypatch.context() as m:
        m.setattr(replay_module, "_bulk_scan", lambda source: None)
        return outcome(path, raw)


def page_lines(raw: Path, manifest) -> list[bytes]:
    return [
        line
        for f in manifest.files
        for line in gzip.decompress((raw / f.name).read_bytes()).splitlines()
    ]


# lines DuckDB cannot read have no text to match: the flagged lines are numbered by a second read
UNREAD = {"lone surrogate", "not JSON", "not UTF-8"}


@pytest.fixture
def numbered_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The sources for which the flagged lines were numbered by a second read."""
    calls: list[Path] = []
    flagged_lines = replay_module._flagged_lines

    def spy(path: Path, count: int):
        calls.append(path)
        return flagged_lines(path, count)

    monkeypatch.setattr(replay_module, "_flagged_lines", spy)
    return calls


@pytest.mark.parametrize("match", ["text", "number"])
@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_line_among_clean_ones_ends_as_on_the_line_by_line_path(
    tmp_path, monkeypatch, numbered_reads, name, suffix, match
):
    lines = [*CLEAN[:17], BAD[name], *CLEAN[17:]]
    path = source(tmp_path, lines, suffix)
    if match == "number":  # what lines without a text get, for every kind of line
        monkeypatch.setattr(
            replay_module,
            "_verdicts",
            lambda read, scan: replay_module._NumberedFlags(
                replay_module._flagged_lines(read, scan.flagged)
            ),
        )
    bulk_manifest, bulk = outcome(path, tmp_path / "bulk")
    flagged = name != "spaces around (kept)"  # clean: blanks at a line's ends are JSON's
    assert bool(numbered_reads) == (flagged and (match == "number" or name in UNREAD))
    _, exact = line_by_line(monkeypatch, path, tmp_path / "lines")
    assert bulk == exact
    # the bulk path wrote one page (the line-by-line path pages of 10), and the lines it did not
    # have to check are there byte for byte, not parsed and written again
    assert bulk_manifest.pages == 1
    kept = page_lines(tmp_path / "bulk", bulk_manifest)
    assert kept[:17] == CLEAN[:17] and kept[-23:] == CLEAN[17:]
    if "(kept)" in name:
        assert bulk[1] == 0 and kept[17] == BAD[name].rstrip(b"\r\n")
    else:
        assert bulk[1] == 1 and bulk[3][0][0] == 18 and len(kept) == 40


def test_a_bad_text_met_twice_is_set_aside_twice(tmp_path, monkeypatch, numbered_reads):
    lines = [BAD["NaN"], *CLEAN[:10], BAD["NaN"], BAD["trailing comma"], *CLEAN[10:]]
    path = source(tmp_path, lines, ".jsonl.gz")
    _, bulk = outcome(path, tmp_path / "bulk")
    _, exact = line_by_line(monkeypatch, path, tmp_path / "lines")
    assert bulk == exact and [n for n, _ in bulk[3]] == [1, 12, 13] and not numbered_reads


def test_a_line_over_the_size_bound_is_set_aside_from_its_first_bytes(tmp_path, monkeypatch):
    huge = b'{"id":"o/huge","x":"' + b"a" * (MAX_RECORD_BYTES + 10) + b'"}'
    path = source(tmp_path, [CLEAN[0], huge, CLEAN[1]], ".jsonl.gz", last_newline=False)
    bulk_manifest, bulk = outcome(path, tmp_path / "bulk")
    _, exact = line_by_line(monkeypatch, path, tmp_path / "lines")
    assert bulk == exact and bulk[3] == [(2, "record_too_large")]
    assert bulk_manifest.pages == 1 and page_lines(tmp_path / "bulk", bulk_manifest) == [
        CLEAN[0],
        CLEAN[1],
    ]


def test_a_clean_plain_source_becomes_one_compressed_page_of_its_lines(tmp_path):
    path = source(tmp_path, CLEAN, ".jsonl", last_newline=False)
    manifest, (models, rejected, items, _) = outcome(path, tmp_path / "raw")
    assert (models, rejected, manifest.pages) == (40, 0, 1)
    assert page_lines(tmp_path / "raw", manifest) == CLEAN
    assert items == [json.loads(line) for line in CLEAN]


def test_a_bulk_page_reports_progress_as_it_is_written(tmp_path, monkeypatch):
    """One page can hold a whole-Hub listing: progress comes every PROGRESS_LINES lines, with the
    listing's size, not only when the page is done."""
    monkeypatch.setattr(replay_module, "PROGRESS_LINES", 10)
    path = source(tmp_path, [*CLEAN[:25], BAD["NaN"], *CLEAN[25:]], ".jsonl")
    seen = []
    manifest = replay_file(path, tmp_path / "raw", DAY, progress=seen.append)
    assert manifest.pages == 1 and manifest.model_count == 40
    assert [(p.pages, p.models, p.total) for p in seen] == [
        (1, 10, 41),
        (1, 20, 41),
        (1, 30, 41),
        (1, 40, 41),
        (1, 40, 41),
    ]


def test_a_misaligned_bulk_check_falls_back_to_the_line_by_line_path(tmp_path, monkeypatch):
    """Python keeps a line on the bulk check's word only where the check's line numbers name the
    same texts as Python's; when they do not (never seen: a guard), the line-by-line path runs."""
    lines = [*CLEAN[:5], BAD["not JSON"], *CLEAN[5:10], BAD["trailing comma"], *CLEAN[10:]]
    path = source(tmp_path, lines, ".jsonl.gz")
    flagged_lines = replay_module._flagged_lines

    def shifted(path: Path, count: int):
        for flag in flagged_lines(path, count):
            yield replay_module._Flag(flag.line_no + 1, flag.unclean, flag.length, flag.sha256)

    with monkeypatch.context() as m:
        m.setattr(replay_module, "_flagged_lines", shifted)
        manifest, shifted_outcome = outcome(path, tmp_path / "shifted")
    _, exact = line_by_line(monkeypatch, path, tmp_path / "lines")
    assert shifted_outcome == exact
    assert [r[0] for r in exact[3]] == [6, 12] and manifest.pages == 4  # pages of 10: line by line


@pytest.mark.parametrize("change", ["another text", "one fewer", "one more"])
def test_flagged_texts_that_do_not_match_fall_back_too(tmp_path, monkeypatch, change):
    """The same guard when the flagged lines are found by their text: each text must be met
    exactly as often as the check counted it."""
    lines = [*CLEAN[:5], BAD["NaN"], *CLEAN[5:10], BAD["NaN"], *CLEAN[10:]]
    path = source(tmp_path, lines, ".jsonl.gz")
    bulk_scan = replay_module._bulk_scan

    def tampered(read: Path):
        scan = bulk_scan(read)
        texts = list(scan.texts)
        if change == "another text":
            texts[0] = texts[0] | {"sha256": "0" * 64}
        elif change == "one fewer":
            texts = texts[1:]
        else:
            texts = [*texts, texts[0]]
        return replace(scan, texts=texts, flagged=len(texts))

    with monkeypatch.context() as m:
        m.setattr(replay_module, "_bulk_scan", tampered)
        manifest, tampered_outcome = outcome(path, tmp_path / "tampered")
    _, exact = line_by_line(monkeypatch, path, tmp_path / "lines")
    assert tampered_outcome == exact
    assert [r[0] for r in exact[3]] == [6, 12] and manifest.pages == 4


# Escapes inside a string, to be combined: an escaped backslash, surrogate halves, others.
_PIECES = [
    "a",
    "\\\\",
    "\\ud83d",
    "\\uDE00",
    "\\ud800",
    "\\udfff",
    "\\uDBFF",
    "\\udc00",
    "\\u0041",
    "u",
    "d800",
    "\\n",
]


def test_the_bulk_check_flags_a_string_exactly_when_python_finds_a_lone_surrogate(tmp_path):
    """The shared check (sql/hub/create_unclean_line_macro.sql), on lines read as the replay reads
    them, against Python's strict encoding, on every combination of up to three escapes and a few
    thousand longer ones: a lone surrogate is always flagged (nothing Python refuses is kept), and
    a high-low pair (an emoji written by an ASCII-only encoder, common in real cards) or an escaped
    backslash before `u` is never flagged (a false alarm would send a whole source line by line)."""
    rng = random.Random(14)
    texts = [a + b + c for a in _PIECES for b in _PIECES for c in _PIECES]
    texts += ["".join(rng.choices(_PIECES, k=rng.randint(4, 12))) for _ in range(3000)]
    lines = [f'{{"id":"o/x","s":"{text}"}}' for text in texts]
    expected = [strict_json_problem(json.loads(line)) is not None for line in lines]
    path = tmp_path / "lines.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with duckdb.connect() as conn:
        conn.execute(load_sql("hub/create_unclean_line_macro"))
        flagged = conn.execute(
            "select unclean_line(json, json::varchar, $max) from read_ndjson_objects("
            "$path, ignore_errors = true) with ordinality as numbered (json, n) order by n",
            {"max": MAX_RECORD_BYTES, "path": str(path)},
        ).fetchall()
    assert [f for (f,) in flagged] == expected
    assert 0 < sum(expected) < len(expected)


def test_a_whole_hub_dump_with_emoji_in_its_cards_takes_the_bulk_path(
    hubdata, tmp_path, monkeypatch
):
    """The real extract of a whole-Hub Parquet dump holds cards as JSON text with emoji escaped as
    surrogate pairs (2 of its 4,167 rows). Those used to send the whole dump line by line (a
    million-row dump took minutes); now it is one page, and it stages the same rows."""
    dump = hubdata / "archives" / "hub-stats_models_extract_2026-05.parquet"
    bulk = Layout(tmp_path / "bulk")
    manifest = replay_file(dump, bulk.raw_models(DAY), DAY)
    assert (manifest.model_count, manifest.rejected_count, manifest.pages) == (4167, 0, 1)
    text = gzip.decompress((bulk.raw_models(DAY) / manifest.files[0].name).read_bytes())
    assert text.count(b"\\\\ud83d") >= 2  # the escaped pairs are in the page as they were
    exact = Layout(tmp_path / "lines")
    with monkeypatch.context() as m:
        m.setattr(replay_module, "_bulk_scan", lambda source: None)
        assert replay_file(dump, exact.raw_models(DAY), DAY).pages == 5
    with duckdb.connect() as conn:
        staged = [
            stage_models(layout, DAY, conn).paths["models_staged"] for layout in (bulk, exact)
        ]
        differ = conn.execute(
            "select count(*) from ((from read_parquet($a) except all from read_parquet($b))"
            " union all (from read_parquet($b) except all from read_parquet($a)))",
            {"a": str(staged[0]), "b": str(staged[1])},
        ).fetchone()[0]
        rows = conn.execute(
            "select count(*) from read_parquet($a)", {"a": str(staged[0])}
        ).fetchone()[0]
    assert differ == 0 and rows == 4167
    # the dump's text was written beside the snapshot and removed
    assert not list(bulk.raw_models(DAY).parent.glob(".parquet-*"))


def test_the_depth_bound_holds_on_the_bulk_path(tmp_path):
    at_limit = (
        b'{"id":"o/at","x":' + b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1) + b"}"
    )
    over = b'{"id":"o/over","x":' + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}"
    path = source(tmp_path, [CLEAN[0], at_limit, over, CLEAN[1]], ".jsonl")
    manifest, (models, rejected, items, reasons) = outcome(path, tmp_path / "raw")
    assert (models, rejected, manifest.pages) == (3, 1, 1)
    assert reasons == [(3, "too_deep")] and [i["id"] for i in items] == ["o/m0", "o/at", "o/m1"]
