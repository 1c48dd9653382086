"""Staging on hand-built raw snapshots: typed values checked by hand, hostile records, counts."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime

import pytest

from pipeline.staging import (
    MAX_RECORD_BYTES,
    RAW_RECORD_CHARS,
    IncompleteSnapshotError,
    stage_models,
)
from pipeline.storage import EmptyPartitionError
from tests.staging.conftest import (
    DAY,
    column_types,
    dump_line,
    line_bytes,
    make_raw_snapshot,
    read_rows,
)

MISSING = object()

STAGED_TYPES = {
    "snapshot_date": "DATE",
    "model_id": "VARCHAR",
    "hub_id": "VARCHAR",
    "author": "VARCHAR",
    "created_at": "TIMESTAMP",
    "created_at_is_placeholder": "BOOLEAN",
    "last_modified": "TIMESTAMP",
    "downloads_30d": "BIGINT",
    "downloads_all_time": "BIGINT",
    "likes": "BIGINT",
    "trending_score": "DOUBLE",
    "pipeline_tag": "VARCHAR",
    "library_name": "VARCHAR",
    "gated": "VARCHAR",
    "is_private": "BOOLEAN",
    "is_disabled": "BOOLEAN",
    "parameter_count": "BIGINT",
    "tags": "VARCHAR[]",
    "license_tags": "VARCHAR[]",
    "card_license": "VARCHAR[]",
    "card_license_name": "VARCHAR",
    "card_license_link": "VARCHAR",
    "base_model_tags": "VARCHAR[]",
    "card_base_model": "VARCHAR[]",
    "card_base_model_relation": "VARCHAR",
    "card_datasets": "VARCHAR[]",
    "siblings": "VARCHAR[]",
    "gguf_present": "BOOLEAN",
    "card_data": "JSON",
    "source_recording": "VARCHAR",
    "source_has_cards": "BOOLEAN",
    "source_names_parents": "BOOLEAN",
}
QUARANTINE_TYPES = {
    "snapshot_date": "DATE",
    "stage": "VARCHAR",
    "reason": "VARCHAR",
    "record_key": "VARCHAR",
    "raw_record": "VARCHAR",
    "raw_length": "BIGINT",
    "raw_sha256": "VARCHAR",
}


def hub_id(n: int) -> str:
    return f"{n:024x}"


def item(n: int, **fields: object) -> dict:
    """A plain, valid listing item; `fields` override keys (MISSING deletes one)."""
    base: dict = {
        "_id": hub_id(n),
        "id": f"org/model-{n}",
        "modelId": f"org/model-{n}",
        "author": "org",
        "private": False,
        "gated": False,
        "disabled": False,
        "downloads": 10,
        "likes": 1,
        "tags": ["transformers"],
        "createdAt": "2024-01-01T00:00:00.000Z",
        "lastModified": "2024-01-02T00:00:00.000Z",
        "siblings": [{"rfilename": "README.md"}],
        "cardData": {"license": "mit"},
    }
    for key, value in fields.items():
        if value is MISSING:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["model_id"]: r for r in rows}


def stage(layout, items, rejected=None, **kwargs):
    make_raw_snapshot(layout.root, DAY, items, rejected, **kwargs)
    result = stage_models(layout, DAY)
    staged = read_rows(layout.table_partition("models_staged", DAY))
    quarantine = read_rows(layout.table_partition("quarantine", DAY))
    return result, staged, quarantine


LLAMA = {
    "_id": "6698d8a0653e4babe21e1e7d",
    "id": "meta-llama/Llama-3.1-8B-Instruct",
    "modelId": "meta-llama/Llama-3.1-8B-Instruct",
    "author": "meta-llama",
    "private": False,
    "gated": "manual",
    "disabled": False,
    "downloads": 5795728,
    "downloadsAllTime": 40000000,
    "likes": 3763,
    "trendingScore": 12.5,
    "pipeline_tag": "text-generation",
    "library_name": "transformers",
    "tags": [
        "transformers",
        "base_model:meta-llama/Llama-3.1-8B",
        "base_model:finetune:meta-llama/Llama-3.1-8B",
        "license:llama3.1",
        "region:us",
    ],
    "createdAt": "2024-07-18T08:56:00.000Z",
    "lastModified": "2024-09-25T17:00:57.000Z",
    "cardData": {
        "license": "llama3.1",
        "base_model": "meta-llama/Meta-Llama-3.1-8B",
        "datasets": ["a/b", "c/d"],
    },
    "siblings": [{"rfilename": ".gitattributes"}, {"rfilename": "config.json"}],
    "safetensors": {"parameters": {"BF16": 8030261248}, "total": 8030261248},
}


def test_typed_values_hand_checked(layout):
    items = [
        LLAMA,
        # legacy id without namespace, no author key, placeholder creation date, list base model,
        # license as a list, custom license, gguf present, gated auto
        {
            "_id": hub_id(2),
            "id": "gpt2",
            "gated": "auto",
            "tags": ["license:other", "license:", "base_model:quantized:a/b", 7, None],
            "createdAt": "2022-03-02T23:29:04.000Z",
            "lastModified": "2025-01-30 17:00:21+02:00",
            "cardData": {
                "license": ["mit", "apache-2.0"],
                "license_name": "coqui-public-model-license",
                "license_link": "https://coqui.ai/cpml",
                "base_model": ["a/b", "c/d"],
                "base_model_relation": "quantized",
                "datasets": "squad",
            },
            "gguf": {"total": 5},
            "siblings": [{"rfilename": "a.gguf"}, {"size": 3}, "junk", {"rfilename": 5}],
        },
        # modelId only; gguf key null; no card
        {"_id": hub_id(3), "modelId": "solo/m", "gguf": None},
    ]
    result, staged, quarantine = stage(layout, items)
    assert (result.rows_staged, result.rows_quarantined) == (3, 0)
    assert quarantine == []
    assert column_types(result.paths["models_staged"]) == STAGED_TYPES
    assert column_types(result.paths["quarantine"]) == QUARANTINE_TYPES
    rows = by_id(staged)
    # in the listing's order: staging keeps the order it reads (the release form sorts)
    assert [r["model_id"] for r in staged] == [
        "meta-llama/Llama-3.1-8B-Instruct",
        "gpt2",
        "solo/m",
    ]

    llama = rows["meta-llama/Llama-3.1-8B-Instruct"]
    assert llama["snapshot_date"] == DAY
    assert llama["hub_id"] == "6698d8a0653e4babe21e1e7d"
    assert llama["author"] == "meta-llama"
    assert llama["created_at"] == datetime(2024, 7, 18, 8, 56)
    assert llama["created_at_is_placeholder"] is False
    assert llama["last_modified"] == datetime(2024, 9, 25, 17, 0, 57)
    assert (llama["downloads_30d"], llama["downloads_all_time"], llama["likes"]) == (
        5795728,
        40000000,
        3763,
    )
    assert llama["trending_score"] == 12.5
    assert (llama["pipeline_tag"], llama["library_name"]) == ("text-generation", "transformers")
    assert llama["gated"] == "manual"
    assert (llama["is_private"], llama["is_disabled"]) == (False, False)
    assert llama["parameter_count"] == 8030261248
    assert llama["tags"] == LLAMA["tags"]
    assert llama["license_tags"] == ["llama3.1"]
    assert llama["card_license"] == ["llama3.1"]
    assert llama["card_license_name"] is None
    assert llama["base_model_tags"] == [
        "base_model:meta-llama/Llama-3.1-8B",
        "base_model:finetune:meta-llama/Llama-3.1-8B",
    ]
    assert llama["card_base_model"] == ["meta-llama/Meta-Llama-3.1-8B"]
    assert llama["card_base_model_relation"] is None
    assert llama["card_datasets"] == ["a/b", "c/d"]
    assert llama["siblings"] == [".gitattributes", "config.json"]
    assert llama["gguf_present"] is False
    assert json.loads(llama["card_data"]) == LLAMA["cardData"]

    gpt2 = rows["gpt2"]
    assert gpt2["author"] is None  # no author key and no namespace to take it from
    assert gpt2["created_at_is_placeholder"] is True
    assert gpt2["last_modified"] == datetime(2025, 1, 30, 15, 0, 21)  # +02:00 moved to UTC
    assert gpt2["gated"] == "auto"
    assert gpt2["tags"] == ["license:other", "license:", "base_model:quantized:a/b", "7"]
    assert gpt2["license_tags"] == ["other"]
    assert gpt2["card_license"] == ["mit", "apache-2.0"]
    assert gpt2["card_license_name"] == "coqui-public-model-license"
    assert gpt2["card_license_link"] == "https://coqui.ai/cpml"
    assert gpt2["base_model_tags"] == ["base_model:quantized:a/b"]
    assert gpt2["card_base_model"] == ["a/b", "c/d"]
    assert gpt2["card_base_model_relation"] == "quantized"
    assert gpt2["card_datasets"] == ["squad"]
    assert gpt2["siblings"] == ["a.gguf", "5"]
    assert gpt2["gguf_present"] is True
    assert gpt2["parameter_count"] is None
    assert gpt2["downloads_30d"] is None

    solo = rows["solo/m"]
    assert solo["author"] == "solo"
    assert solo["gguf_present"] is False
    assert solo["card_data"] is None and solo["card_license"] is None
    assert solo["tags"] is None and solo["created_at"] is None
    assert solo["created_at_is_placeholder"] is None


NULLABLE_CASES = [
    # (fields, column, expected staged value)
    ({"downloads": "abc"}, "downloads_30d", None),
    ({"downloads": -5}, "downloads_30d", None),
    ({"downloads": 12.5}, "downloads_30d", None),
    # an integral number written as a float (a dump of a float column) is the count
    ({"downloads": 12.0}, "downloads_30d", 12),
    ({"likes": -3.0}, "likes", None),
    ({"downloads": "12.0"}, "downloads_30d", None),
    ({"downloads": 1e21}, "downloads_30d", None),  # json writes 1e+21: no count of that form
    ({"downloads": 2**70}, "downloads_30d", None),
    ({"downloads": True}, "downloads_30d", None),
    ({"likes": [1]}, "likes", None),
    ({"trendingScore": "1.5"}, "trending_score", None),
    ({"trendingScore": 3}, "trending_score", 3.0),
    ({"trendingScore": float("nan")}, "trending_score", None),  # Python's json writes NaN
    ({"trendingScore": float("inf")}, "trending_score", None),
    ({"downloads": float("inf")}, "downloads_30d", None),
    ({"createdAt": "yesterday"}, "created_at", None),
    ({"createdAt": "infinity"}, "created_at", None),
    ({"createdAt": 1700000000}, "created_at", None),
    ({"createdAt": "2024-13-45T00:00:00Z"}, "created_at", None),
    ({"createdAt": "2024-02-03"}, "created_at", datetime(2024, 2, 3)),
    # DuckDB's text of a zoned Parquet timestamp: an offset of hours alone
    (
        {"createdAt": "2024-02-03 10:00:00.5+02"},
        "created_at",
        datetime(2024, 2, 3, 8, 0, 0, 500000),
    ),
    ({"lastModified": {"$date": 1}}, "last_modified", None),
    ({"gated": True}, "gated", None),
    ({"gated": "Manual"}, "gated", None),
    ({"gated": None}, "gated", None),
    ({"gated": "auto"}, "gated", "auto"),
    ({"gated": False}, "gated", "no"),
    ({"private": "false"}, "is_private", None),
    ({"disabled": 0}, "is_disabled", None),
    ({"safetensors": {"total": "8B"}}, "parameter_count", None),
    ({"safetensors": [1, 2]}, "parameter_count", None),
    ({"tags": "transformers"}, "tags", None),
    ({"tags": {"a": 1}}, "license_tags", None),
    ({"tags": ["license:mit", ["license:x"]]}, "license_tags", ["mit"]),
    ({"siblings": {"rfilename": "x"}}, "siblings", None),
    ({"pipeline_tag": 5}, "pipeline_tag", None),
    ({"library_name": ["x"]}, "library_name", None),
    ({"author": 5}, "author", "org"),
    ({"author": ""}, "author", "org"),
    # a card kept as YAML text is read (pipeline/cards.py); text that is no YAML mapping stays text
    ({"cardData": "license: mit\n"}, "card_license", ["mit"]),
    ({"cardData": "license: mit\n"}, "card_data", '{"license":"mit"}'),
    ({"cardData": "just words"}, "card_license", None),
    ({"cardData": "just words"}, "card_data", '"just words"'),
    ({"cardData": None}, "card_data", None),
    ({"cardData": {"license": None}}, "card_license", None),
    ({"cardData": {"license": 2.0}}, "card_license", ["2.0"]),
    ({"cardData": {"license": {"id": "mit"}}}, "card_license", ['{"id":"mit"}']),
    ({"cardData": {"license": ["mit", None, 3]}}, "card_license", ["mit", "3"]),
    ({"cardData": {"license": []}}, "card_license", []),
    ({"cardData": {"license_name": ["a", "b"]}}, "card_license_name", '["a","b"]'),
    ({"cardData": {"license_link": 5}}, "card_license_link", None),
    ({"cardData": {"base_model": {"a": "b"}}}, "card_base_model", ['{"a":"b"}']),
    ({"cardData": {"base_model_relation": ["finetune"]}}, "card_base_model_relation", None),
    ({"cardData": {"datasets": [["x"]]}}, "card_datasets", ['["x"]']),
]


def test_wrong_types_become_null_not_quarantine(layout):
    items = [item(n, **fields) for n, (fields, _, _) in enumerate(NULLABLE_CASES)]
    result, staged, quarantine = stage(layout, items)
    assert quarantine == []
    assert result.rows_staged == len(NULLABLE_CASES)
    rows = by_id(staged)
    for n, (fields, column, expected) in enumerate(NULLABLE_CASES):
        assert rows[f"org/model-{n}"][column] == expected, (fields, column)


DEPTH = 5000  # deeper than Python's json module can even write
DEEP_LINE = dump_line(item(1, cardData={"license": "x'; drop table models; --"}))[:-2] + (
    ',"nested":' + "[" * DEPTH + "]" * DEPTH + "}}"
)

# Ids the Hub accepted once and today's naming rules refuse (names over 96 characters, a `.git`
# end: 60 and 19 of them in a real 2022 listing), org-less canonical ids, and ids merely odd:
# an id seen in a listing existed, so it is staged.
ACCEPTED_IDS = [
    "glasses/resnet50.git",
    "org/" + "m" * 97,
    "bert-base-uncased",
    "gpt2",
    "org/has space",
    "org/café",
    "org/a--b",
    "-org/x",
    "x'; drop table models; --",
    "org/..x",
]

QUARANTINE_CASES = [
    # (record, reason, record_key)
    (item(100, id=MISSING, modelId=MISSING), "missing_id", None),
    (item(101, id=5, modelId=None), "missing_id", None),
    (item(102, id="", modelId=""), "missing_id", None),
    (item(103, id=["org/x"], modelId=MISSING), "missing_id", None),
    # only ids unsafe as a key or a path: `..`/`.` parts, more than one `/`, empty parts,
    # control characters, backslashes
    (item(104, id="../../x"), "invalid_id", "../../x"),
    (item(105, id="../x"), "invalid_id", "../x"),
    (item(106, id="org/.."), "invalid_id", "org/.."),
    (item(107, id="org/nul\u0000byte"), "invalid_id", "org/nul\u0000byte"),
    (item(108, id="org/new\nline"), "invalid_id", "org/new\nline"),
    (item(109, id="org\\..\\x"), "invalid_id", "org\\..\\x"),
    (item(110, id="a/b/c"), "invalid_id", "a/b/c"),
    (item(111, id="org/."), "invalid_id", "org/."),
    (item(112, id="org/"), "invalid_id", "org/"),
    (item(116, id="/x"), "invalid_id", "/x"),
    # a present `_id` that is not an ObjectId is corrupt; an absent one is not (older sources)
    (item(118, _id=12345), "invalid_hub_id", "org/model-118"),
    (item(119, _id="not-an-object-id"), "invalid_hub_id", "org/model-119"),
    (item(120, _id="x'; drop table models; --"), "invalid_hub_id", "org/model-120"),
    (item(121, _id=""), "invalid_hub_id", "org/model-121"),
    ("[1, 2, 3]", "not_an_object", None),
    ('"just a string"', "not_an_object", None),
    ("null", "not_an_object", None),
    ("{not json", "invalid_json", None),
    (b'{"_id":"000000000000000000000079","id":"org/bad-\xff\xfe"}', "invalid_json", None),
]


def test_hostile_records_quarantined_with_reason(layout):
    survivors = [
        DEEP_LINE,
        item(2, pipeline_tag="a\u0000b\u0007c", author="ctl\u0001"),
        item(3, cardData={"license_name": "z" * 200_000}),
        item(4, id="Org_1/Model.v2-final_"),
        *(item(200 + n, id=model_id) for n, model_id in enumerate(ACCEPTED_IDS)),
        item(230, _id=MISSING),
        item(231, _id=None),
    ]
    records = [case[0] for case in QUARANTINE_CASES]
    result, staged, quarantine = stage(layout, [*survivors, *records])

    assert result.rows_staged + result.rows_quarantined == len(survivors) + len(records)
    rows = by_id(staged)
    assert set(rows) == {
        "org/model-1",
        "org/model-2",
        "org/model-3",
        "Org_1/Model.v2-final_",
        "org/model-230",
        "org/model-231",
        *ACCEPTED_IDS,
    }
    # without `_id` the model is staged under its id, its hub_id unknown
    assert rows["org/model-230"]["hub_id"] is None and rows["org/model-231"]["hub_id"] is None
    assert rows["org/model-1"]["card_license"] == ["x'; drop table models; --"]
    assert rows["org/model-1"]["card_data"].count("[") == DEPTH
    assert rows["org/model-2"]["pipeline_tag"] == "a\u0000b\u0007c"
    assert rows["org/model-2"]["author"] == "ctl\u0001"
    assert rows["org/model-3"]["card_license_name"] == "z" * 200_000

    got = sorted((q["reason"], q["record_key"] or "") for q in quarantine)
    expected = sorted((reason, key or "") for _, reason, key in QUARANTINE_CASES)
    assert got == expected
    assert {q["stage"] for q in quarantine} == {"staging"}
    expected_by_reason: dict[str, int] = {}
    for _, reason, _ in QUARANTINE_CASES:
        expected_by_reason[reason] = expected_by_reason.get(reason, 0) + 1
    assert result.quarantine_by_reason == expected_by_reason

    # each quarantined line is kept as text with its length and sha256, as written to the page
    by_sha = {hashlib.sha256(line_bytes(r)).hexdigest(): line_bytes(r) for r in records}
    for q in quarantine:
        if q["reason"] == "invalid_json":
            assert q["raw_record"] is None  # DuckDB cannot return the text of a non-JSON line
            continue
        line = by_sha[q["raw_sha256"]]
        assert q["raw_length"] == len(line)
        assert q["raw_record"] == line.decode()


def test_oversized_record_quarantined_and_truncated(layout):
    big = item(1, cardData={"license": "mit", "pad": "p" * MAX_RECORD_BYTES})
    line = dump_line(big).encode()
    _result, staged, quarantine = stage(layout, [big, item(2)])
    assert [r["model_id"] for r in staged] == ["org/model-2"]
    [q] = quarantine
    assert (q["reason"], q["record_key"]) == ("record_too_large", "org/model-1")
    assert q["raw_length"] == len(line)
    assert q["raw_sha256"] == hashlib.sha256(line).hexdigest()
    assert q["raw_record"] == line.decode()[:RAW_RECORD_CHARS]


def test_duplicates_keep_latest_and_quarantine_the_rest(layout):
    older = item(1, lastModified="2024-01-01T00:00:00Z", downloads=1)
    newer = item(1, lastModified="2024-06-01T00:00:00Z", downloads=2)
    # the same repository under an old bare name and its namespaced one, equally recent
    alias = item(7, id="legacy", modelId="legacy")
    canonical = item(7, id="org/legacy", modelId="org/legacy")
    # two repositories whose ids differ only by case
    upper = item(8, id="Org/Same", lastModified="2024-01-01T00:00:00Z")
    lower = item(9, id="org/same", lastModified="2024-02-01T00:00:00Z")
    records = [newer, older, alias, canonical, upper, lower, item(3), item(3)]
    _result, staged, quarantine = stage(layout, records, page_size=2)
    rows = by_id(staged)
    assert set(rows) == {"org/model-1", "org/legacy", "org/same", "org/model-3"}
    assert rows["org/model-1"]["downloads_30d"] == 2
    got = sorted((q["reason"], q["record_key"]) for q in quarantine)
    assert got == [
        ("duplicate_hub_id", "legacy"),
        ("duplicate_hub_id", "org/model-1"),
        ("duplicate_hub_id", "org/model-3"),
        ("duplicate_model_id", "Org/Same"),
    ]
    older_q = next(q for q in quarantine if q["record_key"] == "org/model-1")
    assert older_q["raw_record"] == dump_line(older)
    # the choice does not depend on page order
    _result2, staged2, quarantine2 = stage(layout, list(reversed(records)), page_size=2)
    # (the rows kept; their order is the listing's)
    assert by_id(staged2) == rows and quarantine2 == quarantine
    assert [r["model_id"] for r in staged2] == [r["model_id"] for r in reversed(staged)]


def test_exact_tie_between_duplicates_goes_to_the_lowest_sha256(layout):
    # same id, same lastModified, both namespaced: only the sha256 of the line can decide, and
    # staging computes it in a second read of just the tied lines
    a = item(4, lastModified="2024-03-01T00:00:00Z", downloads=10)
    b = item(4, lastModified="2024-03-01T00:00:00Z", downloads=20)
    keep, drop = sorted([a, b], key=lambda r: hashlib.sha256(line_bytes(r)).hexdigest())
    for records in ([a, b, item(5)], [item(5), b, a]):
        _result, staged, quarantine = stage(layout, records, page_size=1)
        assert by_id(staged)["org/model-4"]["downloads_30d"] == keep["downloads"]
        assert [(q["reason"], q["raw_sha256"]) for q in quarantine] == [
            ("duplicate_hub_id", hashlib.sha256(line_bytes(drop)).hexdigest())
        ]
        assert quarantine[0]["raw_record"] == dump_line(drop)


def test_counts_add_up_with_ingest_rejects(layout):
    rejected = [
        {
            "line_no": 4,
            "reason": "not_an_object",
            "length": 5,
            "sha256": hashlib.sha256(b"[1,2]").hexdigest(),
            "raw": "[1,2]",
        },
        {
            "line_no": 9,
            "reason": "invalid_json",
            "length": 200_000,
            "sha256": "0" * 64,
            "raw": '{"id": "org/cut", "x": "aaaa',
        },
        {"line_no": "junk", "reason": 5},
    ]
    items = [item(n) for n in range(5)] + [item(99, id="../../x")]
    result, _staged, quarantine = stage(layout, items, rejected)
    assert result.rows_staged == 5
    assert result.rows_quarantined == 1 + len(rejected)
    assert result.rows_staged + result.rows_quarantined == len(items) + len(rejected)
    ingest = sorted(
        (q for q in quarantine if q["stage"] == "ingest"), key=lambda q: q["raw_length"] or 0
    )
    assert [q["reason"] for q in ingest] == ["unknown", "not_an_object", "invalid_json"]
    assert ingest[0]["raw_record"] == dump_line(rejected[2])  # no text: the rejection itself
    assert (ingest[1]["raw_length"], ingest[1]["raw_record"]) == (5, "[1,2]")
    assert ingest[1]["raw_sha256"] == rejected[0]["sha256"]
    assert (ingest[2]["raw_length"], ingest[2]["raw_sha256"]) == (200_000, "0" * 64)
    assert ingest[2]["record_key"] is None
    assert {q["snapshot_date"] for q in quarantine} == {DAY}


def test_staging_twice_gives_identical_rows(layout):
    items = [item(n, downloads=n) for n in range(20)] + [item(5), "[]", item(30, _id=None)]
    make_raw_snapshot(layout.root, DAY, items, page_size=4)
    first = stage_models(layout, DAY)
    staged1 = layout.table_partition("models_staged", DAY).read_bytes()
    quarantine1 = layout.table_partition("quarantine", DAY).read_bytes()
    rows1 = read_rows(first.paths["models_staged"]), read_rows(first.paths["quarantine"])
    second = stage_models(layout, DAY)
    rows2 = read_rows(second.paths["models_staged"]), read_rows(second.paths["quarantine"])
    assert rows1 == rows2
    # item 30 has no `_id`: staged, hub_id null
    assert (first.rows_staged, first.rows_quarantined) == (21, 2)
    assert layout.table_partition("models_staged", DAY).read_bytes() == staged1
    assert layout.table_partition("quarantine", DAY).read_bytes() == quarantine1


def test_refuses_incomplete_raw_dir(layout):
    make_raw_snapshot(layout.root, DAY, [item(1)], complete=False)
    with pytest.raises(IncompleteSnapshotError, match=r"_manifest\.json"):
        stage_models(layout, DAY)
    assert not layout.table_partition("models_staged", DAY).exists()


def test_refuses_manifest_that_says_incomplete(layout):
    raw_dir = make_raw_snapshot(layout.root, DAY, [item(1)])
    (raw_dir / "_manifest.json").write_text('{"complete": false}', encoding="utf-8")
    with pytest.raises(IncompleteSnapshotError, match="complete"):
        stage_models(layout, DAY)
    (raw_dir / "_manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IncompleteSnapshotError, match="unreadable"):
        stage_models(layout, DAY)


def test_refuses_missing_raw_dir(layout):
    with pytest.raises(IncompleteSnapshotError):
        stage_models(layout, DAY)


def test_refuses_manifest_naming_missing_page(layout):
    raw_dir = make_raw_snapshot(layout.root, DAY, [item(1), item(2)], page_size=1)
    (raw_dir / "page-000002.jsonl.gz").unlink()
    with pytest.raises(IncompleteSnapshotError, match="page-000002"):
        stage_models(layout, DAY)


def test_pages_not_in_manifest_are_ignored(layout):
    raw_dir = make_raw_snapshot(layout.root, DAY, [item(1)])
    with gzip.open(raw_dir / "page-000009.jsonl.gz", "wt") as fh:
        fh.write(dump_line(item(2)) + "\n")
    result = stage_models(layout, DAY)
    assert [r["model_id"] for r in read_rows(result.paths["models_staged"])] == ["org/model-1"]


def test_nothing_stageable_is_refused_but_quarantine_kept(layout):
    make_raw_snapshot(layout.root, DAY, [item(1, id="../x"), "{}"])
    # the error says why nothing could be staged (it is still an EmptyPartitionError)
    quarantined = r"all 2 of its records were quarantined \(invalid_id 1, missing_id 1\)"
    with pytest.raises(EmptyPartitionError, match=quarantined):
        stage_models(layout, DAY)
    assert not layout.table_partition("models_staged", DAY).exists()
    reasons = sorted(q["reason"] for q in read_rows(layout.table_partition("quarantine", DAY)))
    assert reasons == ["invalid_id", "missing_id"]


def test_uses_a_given_connection_and_leaves_no_tables(layout):
    import duckdb

    make_raw_snapshot(layout.root, DAY, [item(1)])
    with duckdb.connect() as conn:
        result = stage_models(layout, DAY, conn)
        assert result.rows_staged == 1
        leftovers = conn.execute(
            "select table_name from duckdb_tables() where table_name like '\\_%' escape '\\'"
        ).fetchall()
        assert leftovers == []


@pytest.mark.slow
def test_a_hundred_thousand_models_with_one_percent_bad(layout):
    n = 100_000
    items: list[dict | str] = [item(i, downloads=i) for i in range(n)]
    for i in range(100, n, 100):
        items[i] = item(i, id=f"../{i}") if i % 200 else item(i - 1)  # bad id or a duplicate
    make_raw_snapshot(layout.root, DAY, items, page_size=1000)
    result = stage_models(layout, DAY)
    assert result.rows_staged + result.rows_quarantined == n
    assert result.quarantine_by_reason == {"invalid_id": 500, "duplicate_hub_id": 499}
    assert result.seconds < 60
