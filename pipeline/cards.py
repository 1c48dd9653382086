"""Model cards kept as YAML text, read into JSON objects for staging.

huggingface_hub's `ModelInfo` holds a card as `ModelCardData`, whose `str()` is its YAML. A
script that saves what it walked with `json.dumps(vars(info), default=str)`, the common way
(../shared/research/hub_api_shape.md, section 5), writes every card as that YAML text, under
`card_data` and its alias `cardData`. Read as text, such a card shows no licence name, parents,
relation, datasets or code links, so its model's parents and licence evidence were unknown.

DuckDB reads no YAML. Staging registers `card_yaml_as_json` on its connection and calls it only
for a card that is a string and not JSON (sql/staging/create_stage_records.sql), once per such
record. Card text comes from whoever wrote the archive, so what is read is bounded, and text
outside the bounds stays text, as any card that is not an object does:
- at most `MAX_CARD_CHARS` characters;
- no aliases, whose expansion can grow without bound (a text without `*` has none; one with a
  `*`, which a card's markdown often has, is read as events first);
- nesting at most as deep as a record may (`MAX_JSON_DEPTH`; libyaml itself stops at 1,000);
- a YAML mapping, of values JSON can carry: the safe loader refuses tags that build objects, and
  binary values are refused here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import duckdb
import yaml

from pipeline.hub.raw import MAX_JSON_DEPTH
from pipeline.sql import load_sql

FUNCTION = "card_yaml_as_json"
# A card's front matter is a few kilobytes; a long gated prompt reaches tens. A card over this
# stays text.
MAX_CARD_CHARS = 1_000_000
# The card sits one level inside its record, whose depth is bounded at ingest.
MAX_DEPTH = MAX_JSON_DEPTH - 1

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Unreadable(Exception):
    """A value of the card that JSON cannot carry, or nesting beyond MAX_DEPTH."""


def _has_alias(text: str) -> bool:
    """Whether the YAML uses an alias, read as events, which are never expanded."""
    return any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=_LOADER))


def _plain(value: Any, depth: int = 1) -> Any:
    """The loaded YAML as values JSON carries: dates as ISO text, non-finite numbers as null.
    `depth`: the nesting of `value` if it is a mapping or a list (the card itself is 1). The safe
    loader gives mappings, lists, sets (`!!set`) and scalars."""
    match value:
        case dict() | list() | set() if depth > MAX_DEPTH:
            raise _Unreadable(f"nested deeper than {MAX_DEPTH}")
        case dict():
            out = {}
            for key, item in value.items():
                if not isinstance(key, str | int | float | bool) and key is not None:
                    raise _Unreadable(f"key of type {type(key).__name__}")
                out[key if isinstance(key, str) else json.dumps(key)] = _plain(item, depth + 1)
            return out
        case list() | set():
            return [_plain(item, depth + 1) for item in value]
        case bool() | int() | str() | None:
            return value
        case float():
            return value if math.isfinite(value) else None
        case dt.date():  # datetime is a date too
            return value.isoformat()
        case _:
            raise _Unreadable(f"value of type {type(value).__name__}")


def card_yaml_as_json(text: str | None) -> str | None:
    """The card's YAML text as a JSON object's text; None when it is not a YAML mapping or is
    outside the bounds (the card then stays text).

    PyYAML reads YAML 1.1 (`yes` is true), the Hub's own parser YAML 1.2; the text read here is
    PyYAML's own dump of the card's values, which quotes every string 1.1 would read otherwise,
    so the values come back as the card had them."""
    if text is None or len(text) > MAX_CARD_CHARS:
        return None
    try:
        if "*" in text and _has_alias(text):
            return None
        data = yaml.load(text, Loader=_LOADER)  # CSafeLoader: no tags that build objects
        if not isinstance(data, dict):
            return None
        # minified, as DuckDB gives back the cards it reads
        return json.dumps(_plain(data), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except Exception:
        # whatever the text makes the loader raise (YAMLError, RecursionError, a TypeError from
        # an odd key) means it cannot be read, and an error raised here would stop staging
        return None


def register(conn: duckdb.DuckDBPyConnection) -> None:
    """Make `card_yaml_as_json(varchar)` callable on `conn` (once per connection)."""
    ((exists,),) = conn.execute(
        load_sql("staging/function_exists"), {"function_name": FUNCTION}
    ).fetchall()
    if not exists:
        conn.create_function(
            FUNCTION,
            card_yaml_as_json,
            [duckdb.sqltypes.VARCHAR],
            duckdb.sqltypes.VARCHAR,
            null_handling="special",
            side_effects=False,
        )
