"""Cards kept as YAML text (a ModelInfo saved with `str()` of its card) are read into objects, and
text that could harm or mislead is not read: it stays text, as any card that is not an object.
The real shape against the Hub's own cards: test_source_shapes.py."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
import yaml

from pipeline.cards import MAX_CARD_CHARS, MAX_DEPTH, card_yaml_as_json, register
from pipeline.daily import build_day
from pipeline.hub.replay import replay_file
from pipeline.paths import Layout
from pipeline.release import publish_release
from pipeline.staging import stage_models
from tests.staging.conftest import read_rows

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)

# block nesting, two levels a line (a list holding a mapping): valid YAML, deeper than a record may
DEEP_BLOCK = "a:\n" + "".join(" " * (2 * i) + "- x:\n" for i in range(1, MAX_DEPTH))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("license: mit\nbase_model:\n- org/base\n", {"license": "mit", "base_model": ["org/base"]}),
        # values JSON has no room for: dates as ISO text, non-finite numbers as null
        (
            "released: 2024-01-02\nscore: .nan\ntop: .inf\n",
            {"released": "2024-01-02", "score": None, "top": None},
        ),
        ("1: one\n2.5: two\n", {"1": "one", "2.5": "two"}),
        ("tags: !!set {a: null}\n", {"tags": ["a"]}),
    ],
)
def test_yaml_mappings_become_json_objects(text, expected):
    assert json.loads(card_yaml_as_json(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(LAUGHS, id="alias-expansion"),
        pytest.param("a: " + "[" * 10_000 + "]" * 10_000, id="deep-flow"),
        pytest.param(DEEP_BLOCK, id="deep-block"),
        pytest.param("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH, id="one-level-too-deep"),
        pytest.param("a: &x [1]\nb: *x\n", id="one-alias"),
        pytest.param("a: " + "x" * MAX_CARD_CHARS, id="too-long"),
        pytest.param("a: !!python/object/apply:os.system ['touch pwned']\n", id="python-tag"),
        pytest.param("a: !!binary aGVsbG8=\n", id="binary"),
        pytest.param("? [a, b]\n: c\n", id="list-key"),
        pytest.param("just text\n", id="not-a-mapping"),
        pytest.param("- a\n- b\n", id="a-list"),
        pytest.param("a: [\n", id="broken"),
        pytest.param("a: 1\n---\nb: 2\n", id="two-documents"),
    ],
)
def test_cards_that_could_harm_or_mislead_are_not_read(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert card_yaml_as_json(text) is None
    assert not (tmp_path / "pwned").exists()


def test_the_bounds_admit_what_they_name():
    # the deep texts refused above are YAML that loads: the depth refuses them, not a parse error
    assert isinstance(yaml.safe_load(DEEP_BLOCK), dict)
    assert isinstance(yaml.safe_load("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH), dict)
    deepest = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert card_yaml_as_json(deepest) is not None
    # a `*` that is no alias (markdown in a gated prompt) and an anchor nobody refers to
    assert json.loads(card_yaml_as_json("p: '**Read** this'\nq: &x 1\n")) == {
        "p": "**Read** this",
        "q": 1,
    }
    # a card as long as admitted, held in one string
    text = "a: " + "x" * (MAX_CARD_CHARS - 3)
    assert len(text) == MAX_CARD_CHARS and card_yaml_as_json(text) is not None


def test_an_unreadable_card_is_staged_as_text(tmp_path):
    """A record whose YAML card is refused is still staged, its card kept as text and its card
    fields null (unknown); a readable card beside it is read."""
    day = date(2024, 5, 1)
    base = {
        "id": "org/ok",
        "_id": "a" * 24,
        "created_at": "2024-01-01 00:00:00+00:00",
        "tags": ["license:mit"],
        "card_data": "license: mit\nbase_model: org/base\n",
    }
    bomb = base | {"id": "org/bomb", "_id": "b" * 24, "card_data": LAUGHS}
    source = tmp_path / "mi.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in (base, bomb)), encoding="utf-8")
    layout = Layout(tmp_path / "out")
    replay_file(source, layout.raw_models(day), day)
    result = stage_models(layout, day)
    assert read_rows(result.paths["quarantine"]) == []
    assert result.cards_as_text == 1  # counted, so that the refusal is not silent
    rows = {r["model_id"]: r for r in read_rows(result.paths["models_staged"])}
    assert rows["org/ok"]["card_license"] == ["mit"]
    assert rows["org/ok"]["card_base_model"] == ["org/base"]
    assert json.loads(rows["org/ok"]["card_data"]) == {"license": "mit", "base_model": "org/base"}
    assert rows["org/bomb"]["card_license"] is None and rows["org/bomb"]["card_base_model"] is None
    assert json.loads(rows["org/bomb"]["card_data"]) == LAUGHS


def test_a_release_card_counts_the_cards_left_as_text(tmp_path):
    """The release's quality ledger says how many cards stayed text, so that a reader of the
    release, not only of Dagster, knows what the card columns cannot say. Truth: the records
    written here, two of whose cards are refused, one read and one absent."""
    day = date(2024, 5, 1)
    base = {"id": "org/ok", "_id": "a" * 24, "tags": ["license:mit"], "card_data": "license: mit\n"}
    records = [
        base,
        base | {"id": "org/bomb", "_id": "b" * 24, "card_data": LAUGHS},
        base | {"id": "org/prose", "_id": "c" * 24, "card_data": "just text\n"},
        base | {"id": "org/none", "_id": "d" * 24, "card_data": None},
    ]
    source = tmp_path / "mi.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    layout = Layout(tmp_path / "out")
    replay_file(source, layout.raw_models(day), day)
    with duckdb.connect() as conn:
        build_day(layout, day, conn)
    publish_release(layout, day, pipeline_version="test", source_commit=None)
    card = (layout.release(day) / "README.md").read_text(encoding="utf-8")
    assert "- **Cards left as text**: 2 models (50.0%) have a card that could not be read" in card
    # a day whose cards are all read says nothing of text cards
    other = date(2024, 5, 2)
    source.write_text(json.dumps(base) + "\n", encoding="utf-8")
    replay_file(source, layout.raw_models(other), other)
    with duckdb.connect() as conn:
        build_day(layout, other, conn)
    publish_release(layout, other, pipeline_version="test", source_commit=None)
    assert "Cards left as text" not in (layout.release(other) / "README.md").read_text()


def test_the_function_is_registered_once_per_connection():
    """Staging may run twice on one connection (a caller's): the second registration is none."""
    conn = duckdb.connect()
    register(conn)
    register(conn)
    got = conn.execute("select card_yaml_as_json('a: 1'), card_yaml_as_json(null)").fetchall()
    assert got == [('{"a":1}', None)]
