"""Property-based fuzzing of staging over mutated real records: every line written to a raw page
is staged or quarantined with a reason, no run crashes, nothing is written outside the output
root, and text that looks like SQL or a path stays data."""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import os
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pipeline.hub.replay import replay_file
from pipeline.paths import Layout
from pipeline.staging import MAX_RECORD_BYTES, stage_models

DAY = date(2025, 4, 1)
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "hubdata"
SQL_TEXTS = (
    "x'; drop table models; --",
    "'); delete from _stage_records; --",
    "1 or 1=1",
    "$1 $pages getvariable('stage')",
    '" || (select 1) || "',
)
PATH_IDS = ("../../x", "/etc/passwd", "a/b/c", "..", "x/../../y", "a\\b", "C:\\x", "%2e%2e/x", ".")
WRONG_VALUES = (None, 0, -5, 1.5, 2**70, True, "", "x", [], {}, [1, "a", None], {"a": [{}]})
CONTROL = ("\x00", "\x01", "\x1f", "\x7f", "\u2028", "\u2029", "\r", "\n", "\ufeff")
# Raw bytes written into the line itself (never a newline: that would make two lines).
BAD_BYTES = (b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x01", b"\\ud800", b"NaN")


def _real_seeds() -> list[dict]:
    seeds: list[dict] = []
    if SHARED.is_dir():
        for path in sorted((SHARED / "api-responses").glob("*_200_*.json"))[:6]:
            item = json.loads(path.read_bytes())
            if isinstance(item, dict):
                seeds.append(item)
        for path in sorted((SHARED / "trees").glob("*.jsonl"))[:3]:
            for line in path.read_bytes().splitlines()[:2]:
                seeds.append(json.loads(line))
    return seeds


def _simulated_seeds() -> list[dict]:
    from pipeline.simulator.world import World, WorldConfig

    world = World(WorldConfig(seed=3, start_date=DAY, n_models=40))
    return list(world.state(DAY).iter_items())[:12]


SEEDS = _real_seeds() + _simulated_seeds()
_KEYS = sorted({k for s in SEEDS for k in s} | {"cardData", "id", "_id", "private"})


@st.composite
def mutated_line(draw) -> tuple[bytes, dict | None]:
    """One raw line from a real (or simulated) record with a few hostile mutations; also the
    object it encodes when it is still a valid JSON object (None when the bytes were broken)."""
    record = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    # Real records repeat ids; a fresh _id and id keep duplicates from hiding other reasons.
    n = draw(st.integers(0, 10**9))
    record["_id"] = f"{n:024x}"
    record["id"] = f"fuzz/m{n}"
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(
                ["wrong_type", "drop", "huge", "deep", "control", "path_id", "sql", "bad_bytes"]
            )
        )
        key = draw(st.sampled_from(_KEYS))
        if kind == "wrong_type":
            record[key] = draw(st.sampled_from(WRONG_VALUES))
        elif kind == "drop":
            record.pop(key, None)
        elif kind == "huge":
            size = draw(st.sampled_from([10, 70_000, MAX_RECORD_BYTES + 10]))
            record[key] = "x" * size
        elif kind == "deep":
            depth = draw(st.sampled_from([10, 300, 900]))  # below Python's recursion limit
            value: object = "bottom"
            for _ in range(depth):
                value = [value] if draw(st.booleans()) else {"k": value}
            record[draw(st.sampled_from(["cardData", "tags", "siblings", key]))] = value
        elif kind == "control":
            char = draw(st.sampled_from(CONTROL))
            target = draw(st.sampled_from(["id", "author", "pipeline_tag", key]))
            record[target] = f"{record.get(target)}{char}end"
        elif kind == "path_id":
            record[draw(st.sampled_from(["id", "modelId", "author"]))] = draw(
                st.sampled_from(PATH_IDS)
            )
        elif kind == "sql":
            record[draw(st.sampled_from(["id", "pipeline_tag", "library_name", key]))] = draw(
                st.sampled_from(SQL_TEXTS)
            )
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
    parsed: dict | None = record
    if draw(st.integers(0, 5)) == 0:
        bad = draw(st.sampled_from(BAD_BYTES))
        at = draw(st.integers(0, len(line)))
        line = line[:at] + bad + line[at:]
        parsed = None
    return line, parsed


def _tree(root: Path) -> set[str]:
    return {str(p) for p in root.rglob("*")}


def _write_raw(root: Path, lines: list[bytes], page_size: int) -> None:
    raw_dir = Layout(root).raw_models(DAY)
    raw_dir.mkdir(parents=True)
    files = []
    for start in range(0, len(lines), page_size):
        name = f"page-{start // page_size + 1:06d}.jsonl.gz"
        chunk = lines[start : start + page_size]
        (raw_dir / name).write_bytes(gzip.compress(b"".join(line + b"\n" for line in chunk)))
        files.append({"name": name, "rows": len(chunk)})
    manifest = {"snapshot_date": str(DAY), "files": files, "complete": True}
    (raw_dir / "_manifest.json").write_text(json.dumps(manifest))


def _safe_id(value: object) -> bool:
    """An id safe as a key and a path: what staging must enforce (not today's naming rules: an
    id seen in a listing existed, however long or odd)."""
    if not isinstance(value, str) or not value:
        return False
    parts = value.split("/")
    return (
        len(parts) <= 2
        and all(part not in ("", ".", "..") for part in parts)
        and not any(ord(c) < 0x20 or c in "\x7f\\" for c in value)
    )


def check_batch(lines: list[tuple[bytes, dict | None]]) -> None:
    with tempfile.TemporaryDirectory() as parent:
        parent_path = Path(parent)
        root = parent_path / "out"
        # One clean record: a day where nothing at all can be staged is refused by design.
        lines = [*lines, (json.dumps(_good(10**12)).encode(), _good(10**12))]
        _write_raw(root, [line for line, _ in lines], page_size=3)
        before = _tree(parent_path)
        cwd_before = set(os.listdir("."))
        result = stage_models(Layout(root), DAY)
        created = _tree(parent_path) - before
        assert all(Path(p).resolve().is_relative_to(root.resolve()) for p in created)
        assert set(os.listdir(".")) == cwd_before
        assert result.rows_staged + result.rows_quarantined == len(lines)
        with duckdb.connect() as conn:
            staged = conn.execute(
                "select model_id, hub_id from read_parquet(?)",
                [str(result.paths["models_staged"])],
            ).fetchall()
            quarantined = conn.execute(
                "select reason, raw_sha256 from read_parquet(?)", [str(result.paths["quarantine"])]
            ).fetchall()
        assert all(reason and reason.strip() for reason, _ in quarantined)
        # Judged by a rule written here, not by staging's regex.
        assert all(_safe_id(model_id) for model_id, _ in staged), staged
        # no `_id` is allowed (older sources); a present one is an ObjectId
        assert all(hub_id is None or len(hub_id) == 24 for _, hub_id in staged)
        staged_ids = {m for m, _ in staged}
        for line, parsed in lines:
            if parsed is None:
                continue
            model_id = parsed.get("id") if isinstance(parsed.get("id"), str) else None
            if model_id and not _safe_id(model_id):
                assert model_id not in staged_ids
            # the page line itself is what is measured; another line of the batch may carry the
            # same id within bounds and be staged, so the oversized line is looked up by its hash
            if len(line) > MAX_RECORD_BYTES:
                assert ("record_too_large", hashlib.sha256(line).hexdigest()) in quarantined


batches = st.lists(mutated_line(), min_size=1, max_size=6)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # shrinking megabyte records takes minutes; the failing example is printed unshrunk
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(batches)
def test_every_mutated_record_is_staged_or_quarantined(lines):
    check_batch(lines)


@pytest.mark.slow
@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # shrinking megabyte records takes minutes; the failing example is printed unshrunk
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(batches)
def test_every_mutated_record_is_staged_or_quarantined_long(lines):
    check_batch(lines)


def _good(n: int, **fields) -> dict:
    return {"_id": f"{n:024x}", "id": f"org/model-{n}", "private": False, **fields}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=200).filter(
        lambda t: t.strip()
    ),
)
def test_any_card_text_comes_back_verbatim(text):
    """SQL-looking and arbitrary Unicode text in a card field is data, staged as it was typed."""
    with tempfile.TemporaryDirectory() as parent:
        root = Path(parent)
        items = [
            _good(1, cardData={"license_name": text, "license": "other"}, pipeline_tag=text),
            _good(2, cardData={"license_name": SQL_TEXTS[0]}),
        ]
        _write_raw(root, [json.dumps(i, ensure_ascii=False).encode() for i in items], 3)
        result = stage_models(Layout(root), DAY)
        with duckdb.connect() as conn:
            rows = dict(
                conn.execute(
                    "select model_id, [card_license_name, pipeline_tag] from read_parquet(?)",
                    [str(result.paths["models_staged"])],
                ).fetchall()
            )
    assert rows == {"org/model-1": [text, text], "org/model-2": [SQL_TEXTS[0], None]}


def test_sql_text_in_every_position_changes_no_query(tmp_path):
    """Statements run after staging still find their tables, and the SQL text is a plain value."""
    items = [_good(i, pipeline_tag=sql, library_name=sql) for i, sql in enumerate(SQL_TEXTS)]
    # as ids they are staged as the text they are (an id is never a path segment here), and never
    # executed
    items += [_good(99 + i, id=sql) for i, sql in enumerate(SQL_TEXTS)]
    _write_raw(tmp_path, [json.dumps(i).encode() for i in items], 4)
    conn = duckdb.connect()
    conn.execute("create table models (x int)")
    conn.execute("insert into models values (1)")
    result = stage_models(Layout(tmp_path), DAY, conn)
    assert conn.execute("select x from models").fetchall() == [(1,)]
    staged = conn.execute(
        "select model_id, pipeline_tag, library_name from read_parquet(?) order by model_id",
        [str(result.paths["models_staged"])],
    ).fetchall()
    assert sorted((t, li) for _, t, li in staged if t is not None) == sorted(
        (s, s) for s in SQL_TEXTS
    )
    assert {m for m, t, _ in staged if t is None} == set(SQL_TEXTS)
    assert result.quarantine_by_reason == {}


def test_path_like_ids_are_quarantined_and_write_nothing_outside(tmp_path):
    root = tmp_path / "out"
    items = [_good(i, id=p) for i, p in enumerate(PATH_IDS)] + [_good(100)]
    _write_raw(root, [json.dumps(i).encode() for i in items], 3)
    before = _tree(tmp_path)
    result = stage_models(Layout(root), DAY)
    created = _tree(tmp_path) - before
    assert all(Path(p).is_relative_to(root) for p in created)
    # `%2e%2e` is a literal name, not `..`: safe as a key and a path, so staged
    unsafe = [p for p in PATH_IDS if p != "%2e%2e/x"]
    assert result.rows_staged == 2
    assert result.quarantine_by_reason == {"invalid_id": len(unsafe)}


def test_replay_sets_aside_lines_strict_json_cannot_hold(tmp_path):
    """Python's json accepts NaN and lone surrogate escapes; writing them back crashed the replay
    (UnicodeEncodeError) before this was handled. Now they are rejected at ingest, with reason."""
    source = tmp_path / "in.jsonl"
    good = json.dumps(_good(1)).encode()
    source.write_bytes(
        b"\n".join(
            [
                good,
                b'{"_id":"000000000000000000000002","id":"a/b","cardData":{"x":"\\ud800"}}',
                b'{"_id":"000000000000000000000003","id":"a/c","likes":NaN}',
                b'{"_id":"000000000000000000000004","id":"a/d","likes":-Infinity}',
                b'{"_id":"000000000000000000000005","id":"a/e","x":"\\ud83d\\ude00 NaN"}',
            ]
        )
        + b"\n"
    )
    layout = Layout(tmp_path / "out")
    manifest = replay_file(source, layout.raw_models(DAY), DAY)
    assert (manifest.model_count, manifest.rejected_count) == (2, 3)
    result = stage_models(layout, DAY)
    assert result.rows_staged == 2
    assert result.quarantine_by_reason == {
        "not strict UTF-8 JSON (NaN, Infinity or a lone surrogate)": 3
    }
