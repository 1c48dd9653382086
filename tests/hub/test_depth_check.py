"""The bulk checks' depth test in SQL (sql/hub/create_maybe_too_deep_macro.sql) against Python's
exact one (pipeline.hub.raw.too_deep) and the depth each text was built with."""

from __future__ import annotations

import json
import random

import duckdb
import pytest

from pipeline.hub.raw import MAX_JSON_DEPTH, too_deep
from pipeline.sql import load_sql


def nest(depth: int, rng: random.Random) -> object:
    """A value nesting exactly `depth` arrays/objects, with siblings and brackets in strings."""
    if depth == 0:
        return rng.choice(["[{", ']}\\"[', "plain", 7, None])
    inner = [nest(depth - 1, rng)] + [
        rng.choice([[], {}, "[[[{", [1, 2]]) for _ in range(rng.randrange(0, 4))
    ]
    rng.shuffle(inner)
    if rng.random() < 0.5:
        return inner
    return {f"k{i}": v for i, v in enumerate(inner)}


@pytest.fixture(scope="module")
def conn():
    conn = duckdb.connect()
    conn.execute(load_sql("hub/create_maybe_too_deep_macro"))
    yield conn
    conn.close()


def maybe_too_deep(conn, texts: list[str]) -> list[bool]:
    rows = conn.execute(
        "select maybe_too_deep(t, ?) "
        "from unnest(?::varchar[]) with ordinality as u(t, n) order by n",
        [MAX_JSON_DEPTH, texts],
    ).fetchall()
    return [flag for (flag,) in rows]


def test_sql_never_clears_a_record_python_finds_too_deep(conn):
    rng = random.Random(14)
    depths = [*range(1, 20), *range(100, 140), *rng.sample(range(140, 400), 20)]
    texts = [json.dumps({"id": "o/m", "v": nest(d, rng)}) for d in depths for _ in range(3)]
    flags = maybe_too_deep(conn, texts)
    for text, flag in zip(texts, flags, strict=True):
        exact = too_deep(text.encode())
        # sound: whatever Python calls too deep, SQL leaves to Python
        assert flag or not exact, text[:80]
    # the item itself adds one level; a record up to 16 below the limit is cleared in SQL
    shallow = [
        f
        for d, f in zip([d for d in depths for _ in range(3)], flags, strict=True)
        if d + 1 <= MAX_JSON_DEPTH - 16
    ]
    assert shallow and not any(shallow)
    deep = [
        f
        for d, f in zip([d for d in depths for _ in range(3)], flags, strict=True)
        if d + 1 > MAX_JSON_DEPTH
    ]
    assert deep and all(deep)


def test_brackets_inside_strings_do_not_count(conn):
    # 300 opening brackets, all inside one string, and an escaped quote before them
    text = json.dumps({"id": "o/m", "card": 'say \\" ' + "[" * 300, "tags": [["x"]]})
    assert text.count("[") > MAX_JSON_DEPTH and not too_deep(text.encode())
    assert maybe_too_deep(conn, [text]) == [False]
