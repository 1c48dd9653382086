"""Every shape of Hub metadata since 2021, replayed and staged: fields checked against hand-read
source values, absent fields NULL (never 0 or an empty list), only records without a usable id
quarantined, and the day's field coverage recorded.

Shapes (see ../shared/research/hub_archive_shapes.md): the 2021-22 `/api/models?full=true`
listing (`modelId`, no `id`/`_id`/`createdAt`/`cardData`/`gguf`), today's API items, huggingface_hub
`ModelInfo` objects saved as dicts (snake_case), and rows of a hub-stats Parquet dump.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.hub.replay import replay_file, replay_files
from pipeline.licenses.build import build_model_licenses
from pipeline.lineage.build import build_lineage
from pipeline.paths import Layout
from pipeline.provenance import SourceInfo, build_snapshot_sources
from pipeline.staging import stage_models
from tests.staging.conftest import SHARED, read_rows, recorded_bodies

DAY = date(2024, 5, 1)
EXTRACT = SHARED / "hubdata" / "archives" / "hub-stats_models_extract_2026-05.parquet"

# Items of a 2022 listing, in that era's shape: the keys every item had (modelId, sha,
# lastModified, tags, pipeline_tag, siblings, config, private, likes), `downloads` and
# `library_name` only on most. The ids are real ids of that era (the org-less canonical
# `bert-base-uncased`; `glasses/resnet50.git`, named in issue 12) and one name over 96 characters
# as 60 of that listing had.
LONG_NAME = "org/" + "a-very-long-model-name-" * 5
LISTING_2022 = [
    {
        "modelId": "bert-base-uncased",
        "sha": "0a6aa9128b6194f4f3c4db429b6cb4891cdb421b",
        "lastModified": "2021-05-18T16:20:13.000Z",
        "tags": [
            "pytorch",
            "bert",
            "fill-mask",
            "en",
            "dataset:bookcorpus",
            "dataset:wikipedia",
            "arxiv:1810.04805",
            "transformers",
            "license:apache-2.0",
        ],
        "pipeline_tag": "fill-mask",
        "siblings": [
            {"rfilename": ".gitattributes"},
            {"rfilename": "config.json"},
            {"rfilename": "pytorch_model.bin"},
            {"rfilename": "vocab.txt"},
        ],
        "config": {"architectures": ["BertForMaskedLM"], "model_type": "bert"},
        "private": False,
        "likes": 9,
        "downloads": 23012345,
        "library_name": "transformers",
    },
    {
        "modelId": "glasses/resnet50.git",
        "sha": "5bd2d0f4f8b1c4d2a4e1b0a0c9f0f3e4b2a1c0d9",
        "lastModified": "2021-09-01T10:00:00.000Z",
        "tags": ["pytorch", "image-classification"],
        "pipeline_tag": "image-classification",
        "siblings": [{"rfilename": "pytorch_model.bin"}],
        "config": None,
        "private": False,
        "likes": 0,
    },
    {
        "modelId": LONG_NAME,
        "sha": "c3d2",
        "lastModified": "2022-01-10T08:00:00.000Z",
        "tags": [],
        "pipeline_tag": None,
        "siblings": [],
        "config": None,
        "private": False,
        "likes": 0,
        "downloads": 0,
    },
    # no usable id at all: the only kind of record quarantined
    {"sha": "ffff", "lastModified": "2022-01-10T08:00:00.000Z", "tags": [], "likes": 0},
]


def stage_file(tmp_path: Path, source: Path) -> tuple[list[dict], list[dict], list[dict]]:
    layout = Layout(tmp_path / "out")
    replay_file(source, layout.raw_models(DAY), DAY)
    result = stage_models(layout, DAY)
    return (
        read_rows(result.paths["models_staged"]),
        read_rows(result.paths["quarantine"]),
        read_rows(result.paths["field_coverage"]),
    )


def write_jsonl(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i, default=str) + "\n" for i in items), encoding="utf-8")
    return path


def test_listing_2022_is_staged_with_absent_fields_null(tmp_path):
    staged, quarantine, coverage = stage_file(
        tmp_path, write_jsonl(tmp_path / "2022.jsonl", LISTING_2022)
    )
    rows = {r["model_id"]: r for r in staged}
    assert set(rows) == {"bert-base-uncased", "glasses/resnet50.git", LONG_NAME}
    assert [(q["reason"], q["record_key"]) for q in quarantine] == [("missing_id", None)]

    bert = rows["bert-base-uncased"]
    assert bert["hub_id"] is None  # no `_id` then: renames cannot be followed
    assert bert["author"] is None  # no namespace and no `author` key: unknown
    assert bert["last_modified"] == datetime(2021, 5, 18, 16, 20, 13)
    assert bert["downloads_30d"] == 23012345 and bert["likes"] == 9
    assert bert["license_tags"] == ["apache-2.0"]
    assert bert["siblings"] == [".gitattributes", "config.json", "pytorch_model.bin", "vocab.txt"]
    assert bert["pipeline_tag"] == "fill-mask" and bert["library_name"] == "transformers"
    # fields that era did not have are unknown, not zero, empty or false
    for column in ("created_at", "downloads_all_time", "card_data", "card_license", "gated"):
        assert bert[column] is None, column
    assert bert["gguf_present"] is None

    resnet = rows["glasses/resnet50.git"]
    assert resnet["author"] == "glasses"
    assert resnet["downloads_30d"] is None  # absent on this item: unknown, not 0
    assert rows[LONG_NAME]["downloads_30d"] == 0 and rows[LONG_NAME]["siblings"] == []

    by_field = {c["field"]: c for c in coverage}
    assert {c["source_shape"] for c in coverage} == {"listing_2022"}
    assert {c["records"] for c in coverage} == {3}
    for absent in ("_id", "id", "createdAt", "downloadsAllTime", "cardData", "gguf", "gated"):
        assert by_field[absent]["records_with_field"] == 0, absent
    assert by_field["modelId"]["records_with_field"] == 3
    assert by_field["downloads"]["records_with_field"] == 2
    assert by_field["siblings"]["records_with_field"] == 3


def test_modelinfo_dicts_are_staged(hubdata, tmp_path):
    """A recorded API body read by huggingface_hub's own ModelInfo, saved as a dict the way a
    script does (dataclasses.asdict, the card via to_dict, datetimes as str)."""
    from huggingface_hub import ModelInfo

    body = json.loads(
        (
            hubdata / "api-responses" / "20250321T111930_200_meta-llama__Llama-3.1-8B-Instruct.json"
        ).read_text(encoding="utf-8")
    )
    info = ModelInfo(**body)
    saved = dataclasses.asdict(info) | {"card_data": info.card_data.to_dict()}
    assert "created_at" in saved and "createdAt" not in saved and "_id" not in saved
    staged, quarantine, coverage = stage_file(tmp_path, write_jsonl(tmp_path / "mi.jsonl", [saved]))
    assert quarantine == []
    [row] = staged
    # values as in the recorded body (and tests/staging/test_recorded_samples.py)
    assert row["model_id"] == "meta-llama/Llama-3.1-8B-Instruct" and row["hub_id"] is None
    assert row["created_at"] == datetime(2024, 7, 18, 8, 56)
    assert row["last_modified"] == datetime(2024, 9, 25, 17, 0, 57)
    assert row["parameter_count"] == 8030261248
    assert row["card_license"] == ["llama3.1"]
    assert row["card_base_model"] == ["meta-llama/Meta-Llama-3.1-8B"]
    assert row["gated"] == "manual" and row["downloads_30d"] == 5795728
    assert len(row["siblings"]) == 17 and row["siblings"][0] == ".gitattributes"
    assert {c["source_shape"] for c in coverage} == {"modelinfo_dict"}
    by_field = {c["field"]: c["records_with_field"] for c in coverage}
    assert by_field["createdAt"] == 1 and by_field["cardData"] == 1 and by_field["_id"] == 0


def test_modelinfo_saved_with_vars_keeps_its_file_list(hubdata, tmp_path):
    """A ModelInfo saved the naive way (`json.dumps(vars(info), default=str)`, as scripts that
    walk the Hub do: ../shared/research/hub_api_shape.md, section 5) holds each file as the repr
    of its RepoSibling. The file names must be read from it: an empty list would say the model
    ships no weights (openness tier `none`). Truth: the recorded API bodies' own `siblings`."""
    from huggingface_hub import ModelInfo
    from huggingface_hub.hf_api import RepoSibling

    expected = {}
    saved = []
    for body in recorded_bodies(hubdata, lambda b: "siblings" in b):
        expected[body["id"]] = [s["rfilename"] for s in body["siblings"]]
        saved.append(json.loads(json.dumps(vars(ModelInfo(**body)), default=str)))
    assert len(saved) >= 30
    assert saved[0]["siblings"][0].startswith("RepoSibling(rfilename='")
    # names a repr quotes differently: with a single quote (then in double quotes), and with a
    # backslash (escaped in the repr, so not read: better no name than a wrong one)
    odd = dict(saved[0], id="org/odd", _id="0" * 24, modelId="org/odd")
    odd["siblings"] = [str(RepoSibling(rfilename=n)) for n in ("it's.bin", "a\\b.bin", "c.bin")]
    assert odd["siblings"][0].startswith('RepoSibling(rfilename="it')
    expected["org/odd"] = ["it's.bin", "c.bin"]
    staged, quarantine, _ = stage_file(
        tmp_path, write_jsonl(tmp_path / "vars.jsonl", [*saved, odd])
    )
    assert quarantine == []
    assert {r["model_id"]: r["siblings"] for r in staged} == expected


@pytest.fixture(scope="module")
def hub_stats_day(tmp_path_factory):
    if not EXTRACT.is_file():
        pytest.skip("../shared/hubdata/archives is absent")
    root = tmp_path_factory.mktemp("hubstats")
    layout = Layout(root / "out")
    manifest = replay_file(EXTRACT, layout.raw_models(DAY), DAY)
    result = stage_models(layout, DAY)
    licenses = build_model_licenses(layout, DAY)
    return manifest, result, licenses


def test_hub_stats_parquet_dump_is_replayed_and_staged(hub_stats_day):
    manifest, result, _ = hub_stats_day
    # archives/README.md: 4,167 rows, ids all distinct
    assert manifest.model_count == 4167 and manifest.rejected_count == 0
    assert (result.rows_staged, result.rows_quarantined) == (4167, 0)
    rows = {r["model_id"]: r for r in read_rows(result.paths["models_staged"])}
    qwen = rows["Qwen/Qwen1.5-MoE-A2.7B"]
    # read by hand from the Parquet row
    assert qwen["hub_id"] is None and qwen["author"] == "Qwen"
    assert qwen["created_at"] == datetime(2024, 2, 29, 4, 52, 16)
    assert qwen["last_modified"] == datetime(2024, 4, 18, 11, 58, 22)
    assert (qwen["downloads_30d"], qwen["downloads_all_time"], qwen["likes"]) == (
        184038,
        1164144,
        225,
    )
    assert qwen["card_license"] == ["other"]  # from cardData's JSON text
    assert qwen["card_license_name"] == "tongyi-qianwen"
    assert qwen["parameter_count"] == 14315784192
    assert qwen["siblings"] is None  # the dump has no file list: unknown, not empty
    assert qwen["gguf_present"] is False
    code = rows["stabilityai/stable-code-instruct-3b"]
    assert code["gguf_present"] is True and code["card_license"] == ["other"]
    assert json.loads(code["card_data"])["metrics"] == ["code_eval"]

    coverage = {c["field"]: c for c in read_rows(result.paths["field_coverage"])}
    assert {c["source_shape"] for c in coverage.values()} == {"hub_stats_parquet"}
    for absent in ("_id", "modelId", "siblings", "private", "gated", "disabled"):
        assert coverage[absent]["records_with_field"] == 0, absent
    assert coverage["id"]["records_with_field"] == 4167
    assert coverage["gguf"]["records_with_field"] == 57  # non-null gguf text
    assert coverage["safetensors"]["records_with_field"] == 3760


# models_staged column -> the dump's own column, read natively from the Parquet file (the replay
# turns each row into JSON text and staging parses that text: neither is used for the truth)
DUMP_FIELDS = {
    "author": "dump.author",
    "created_at": "dump.createdAt",
    "last_modified": "dump.lastModified",
    "downloads_30d": "dump.downloads",
    "downloads_all_time": "dump.downloadsAllTime",
    "likes": "dump.likes",
    "trending_score": "dump.trendingScore",
    "tags": "dump.tags",
    "pipeline_tag": "dump.pipeline_tag",
    "library_name": "dump.library_name",
    "parameter_count": "dump.safetensors.total",
    "gguf_present": "dump.gguf is not null",
    "card_data": "dump.cardData::json",
}


def test_every_field_of_every_dump_row_arrives_as_the_dump_has_it(hub_stats_day):
    """The archive path (Parquet row -> JSON text -> typed staged row) loses and bends nothing:
    each typed column equals the dump's own value in all 4,167 rows (timestamps to the second,
    counters, the trending score's double, tag lists in order, the card's JSON)."""
    _, result, _ = hub_stats_day
    with duckdb.connect() as conn:
        conn.execute("create table dump as select * from read_parquet(?)", [str(EXTRACT)])
        conn.execute(
            "create table staged as select * from read_parquet(?)",
            [str(result.paths["models_staged"])],
        )
        [(joined,)] = conn.execute(
            "select count(*) from dump inner join staged on staged.model_id = dump.id"
        ).fetchall()
        differing = {
            column: conn.execute(
                # names from the dict above, never from data
                f"select count(*) from dump inner join staged on staged.model_id = dump.id "
                f"where ({source}) is distinct from staged.{column}"
            ).fetchone()[0]
            for column, source in DUMP_FIELDS.items()
        }
    assert joined == 4167
    assert differing == dict.fromkeys(DUMP_FIELDS, 0)


def test_dump_without_file_list_still_shows_weights(hub_stats_day):
    """Issue 12: 4,125 of 4,167 read as tier `none` when an absent file list meant "no files";
    safetensors or gguf show weights for 3,775 of them (counted here from the Parquet itself)."""
    _, _, licenses = hub_stats_day
    with duckdb.connect() as conn:
        [(expected,)] = conn.execute(
            "select count(*) from read_parquet(?) "
            "where safetensors is not null or gguf is not null",
            [str(EXTRACT)],
        ).fetchall()
        [(with_weights,)] = conn.execute(
            "select count(*) from read_parquet(?) where has_weight_files", [str(licenses.path)]
        ).fetchall()
    assert expected == 3775
    assert with_weights == expected


# Card fields whose links say something other than "this model's code": licence, gating, training
# data, evaluation results and widget examples (docs/LICENSES.md)
NOT_CODE_FIELDS = {
    "license",
    "license_name",
    "license_link",
    "datasets",
    "model-index",
    "widget",
}
REPO_LINK = re.compile(r"https?://(?:www\.)?(?:github\.com|gitlab\.com)/[\w.-]+/[\w.-]+")


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_dump_code_links_are_the_cards_own_not_their_benchmarks(hub_stats_day):
    """Real cards link GitHub mostly from their licence, gating prompt and evaluation results
    (model-index `source.url`: FastChat's MT-Bench, AlpacaEval); those made two models of the
    extract `open_source` on no code of their own. Truth: each card's string values outside those
    fields, searched in Python."""
    _, _, licenses = hub_stats_day
    with duckdb.connect() as conn:
        cards = conn.execute("select id, cardData from read_parquet(?)", [str(EXTRACT)]).fetchall()
        found = dict(
            conn.execute(
                "select model_id, code_links from read_parquet(?)", [str(licenses.path)]
            ).fetchall()
        )
        tiers = dict(
            conn.execute(
                "select model_id, openness_tier from read_parquet(?) where model_id in "
                "('FuseAI/FuseChat-7B-v2.0', 'kaist-ai/mistral-orpo-capybara-7k')",
                [str(licenses.path)],
            ).fetchall()
        )
    expected = {}
    linked_elsewhere = set()
    for model_id, text in cards:
        card = json.loads(text) if text else {}
        links = set()
        for key, value in card.items() if isinstance(card, dict) else []:
            hits = {m for s in _strings(value) for m in REPO_LINK.findall(s)}
            if key in NOT_CODE_FIELDS or key.startswith("extra_gated_"):
                if hits:
                    linked_elsewhere.add(model_id)
            else:
                links |= hits
        expected[model_id] = links
    assert {m: set(v) for m, v in found.items()} == expected
    # the extract's cards link a repository only where it is not code: 36 gating prompts quoting
    # the Llama licence, 19 licence links and 2 model-index sources, 57 models
    assert len(linked_elsewhere) == 57
    assert tiers == {
        "FuseAI/FuseChat-7B-v2.0": "open_weights",
        "kaist-ai/mistral-orpo-capybara-7k": "open_weights",
    }


def test_a_dump_written_by_pandas_keeps_its_timestamps_and_counts(tmp_path):
    """A Parquet dump written from pandas: timestamps with a time zone (UTC-aware columns) and
    counters as floats (an integer column with gaps becomes float64; its gaps are nulls). The
    replay turns them into DuckDB's text, `2024-02-29 04:52:16+00` and `184038.0`; both are read
    as a plain dump's. Truth: the extract's own columns."""
    if not EXTRACT.is_file():
        pytest.skip("../shared/hubdata/archives is absent")
    written = tmp_path / "pandas.parquet"
    with duckdb.connect() as conn:
        conn.execute("set TimeZone = 'UTC'")
        conn.read_parquet(str(EXTRACT)).limit(300).select(
            "* replace (createdAt::timestamptz as createdAt, "
            "lastModified::timestamptz as lastModified, downloads::double as downloads, "
            "downloadsAllTime::double as downloadsAllTime, "
            "if(likes % 7 = 0, null, likes)::double as likes)"
        ).write_parquet(str(written))
        types = conn.execute(
            "select distinct typeof(createdAt), typeof(downloads) from read_parquet(?)",
            [str(written)],
        ).fetchall()
        assert types == [("TIMESTAMP WITH TIME ZONE", "DOUBLE")]
        truth = {
            r[0]: (r[1].replace(tzinfo=None), r[2].replace(tzinfo=None), *map(_count, r[3:]))
            for r in conn.execute(
                "select id, createdAt, lastModified, downloads, downloadsAllTime, likes "
                "from read_parquet(?)",
                [str(written)],
            ).fetchall()
        }
    assert sum(v[4] is None for v in truth.values()) > 0  # the gaps are there
    staged, quarantine, _ = stage_file(tmp_path, written)
    assert quarantine == [] and len(staged) == 300
    columns = ("created_at", "last_modified", "downloads_30d", "downloads_all_time", "likes")
    assert {r["model_id"]: tuple(r[c] for c in columns) for r in staged} == truth


def _count(value: float | None) -> int | None:
    return None if value is None else int(value)


def _evidence(layout: Layout) -> dict[str, dict]:
    path = build_model_licenses(layout, DAY).path
    columns = "model_id, code_links, training_code_files, arxiv_ids, training_datasets, "
    columns += "has_training_code, has_technical_report, has_training_data, openness_tier, "
    columns += "license_category, license_raw"
    with duckdb.connect() as conn:
        cursor = conn.execute(f"select {columns} from read_parquet(?)", [str(path)])
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def test_listing_2022_evidence_is_unknown_where_that_era_is_silent(tmp_path):
    """The 2021-22 listings carry tags and file lists but no cards: a paper or a dataset in the
    tags is shown, a code link (only ever in a card) is unknown, not "none", and so is training
    code unless a script is in the file list. Truth: the listing's items above, read by hand."""
    stage_file(tmp_path, write_jsonl(tmp_path / "2022.jsonl", LISTING_2022))
    got = _evidence(Layout(tmp_path / "out"))
    bert = got["bert-base-uncased"]
    assert bert["arxiv_ids"] == ["1810.04805"] and bert["has_technical_report"] is True
    assert sorted(bert["training_datasets"]) == ["bookcorpus", "wikipedia"]
    assert bert["code_links"] is None and bert["training_code_files"] == []
    assert bert["has_training_code"] is None
    # apache-2.0 weights whose code cannot be seen: open weights, not open source
    assert bert["openness_tier"] == "open_weights"
    assert bert["license_category"] == "permissive"  # `license:apache-2.0` in the tags
    empty = got[LONG_NAME]
    assert empty["arxiv_ids"] == [] and empty["code_links"] is None
    assert empty["openness_tier"] == "none"  # an empty file list: no weights


def test_recorded_expand_answer_has_unknown_evidence(hubdata, tmp_path):
    """A recorded `expand=inferenceProviderMapping` answer (`_id`, `id` and that field only)
    beside a full body in one replay: the full body's evidence is read, the partial answer's is
    unknown, not "none found". Truth: the bodies' own tags and file names."""
    bodies = hubdata / "api-responses"
    full = json.loads(
        (bodies / "20250321T111949_200_sentence-transformers__all-MiniLM-L6-v2.json").read_text()
    )
    partial = json.loads(
        (
            bodies
            / "20250211T101332_200_openai__whisper-large-v3_expand-inferenceProviderMapping.json"
        ).read_text()
    )
    assert set(partial) == {"_id", "id", "inferenceProviderMapping"}
    stage_file(tmp_path, write_jsonl(tmp_path / "mixed.jsonl", [full, partial]))
    got = _evidence(Layout(tmp_path / "out"))

    minilm = got["sentence-transformers/all-MiniLM-L6-v2"]
    tags = full["tags"]
    assert minilm["arxiv_ids"] == [t[6:] for t in tags if t.startswith("arxiv:")]
    assert set(minilm["training_datasets"]) >= {t[8:] for t in tags if t.startswith("dataset:")}
    scripts = [
        s["rfilename"] for s in full["siblings"] if s["rfilename"].endswith("train_script.py")
    ]
    assert minilm["training_code_files"] == scripts == ["train_script.py"]
    assert minilm["code_links"] == [] and minilm["has_training_code"] is True
    assert minilm["openness_tier"] == "open_source"  # apache-2.0, weights, a training script

    whisper = got["openai/whisper-large-v3"]
    # nor does it show a licence: unknown (no category), not "declares none"
    assert whisper.pop("license_category") is None and whisper.pop("license_raw") is None
    assert minilm["license_category"] == "permissive"  # its tags and card say apache-2.0
    assert {k: v for k, v in whisper.items() if k != "model_id"} == dict.fromkeys(
        [
            "code_links",
            "training_code_files",
            "arxiv_ids",
            "training_datasets",
            "has_training_code",
            "has_technical_report",
            "has_training_data",
            "openness_tier",
        ]
    )


def test_a_release_counts_an_unknown_license_apart(hubdata, tmp_path, monkeypatch):
    """Through `hub-census run --from-file`: the release's card says how many models have an
    unknown licence instead of counting them as declaring none. Truth: one full body (apache-2.0)
    and two `expand` answers (no tags, no card)."""
    from pipeline.cli import EXIT_OK, main

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    bodies = hubdata / "api-responses"
    names = [
        "20250321T111949_200_sentence-transformers__all-MiniLM-L6-v2.json",
        "20250211T101332_200_openai__whisper-large-v3_expand-inferenceProviderMapping.json",
        "20250213T143726_200_meta-llama__Llama-3.3-70B-Instruct_expand-inferenceProviderMapping.json",
    ]
    items = [json.loads((bodies / n).read_text()) for n in names]
    source = write_jsonl(tmp_path / "mixed.jsonl", items)
    out = tmp_path / "out"
    args = ["run", "--date", "2025-03-21", "--from-file", str(source), "--out", str(out)]
    assert main([*args, "--coverage", "subset", "--no-progress"]) == EXIT_OK
    release = Layout(out).release(date(2025, 3, 21))
    with duckdb.connect() as conn:
        categories = dict(
            conn.execute(
                "select model_id, license_category from read_parquet(?)",
                [str(release / "models.parquet")],
            ).fetchall()
        )
    assert categories == {
        "sentence-transformers/all-MiniLM-L6-v2": "permissive",
        "openai/whisper-large-v3": None,
        "meta-llama/Llama-3.3-70B-Instruct": None,
    }
    card = (release / "README.md").read_text(encoding="utf-8")
    assert "0 (0.0%) declare none; 2 (66.7%) come from records that show neither" in card
    assert "| (unknown) | 2 |" in card


def test_modelinfo_cards_saved_as_yaml_are_read(hubdata, tmp_path):
    """The recorded API bodies read by huggingface_hub's own ModelInfo and saved the naive way
    (`json.dumps(vars(info), default=str)`) hold each card as its YAML text, `str()` of the
    ModelCardData. Read as text, no licence name, parent, dataset or code link of a card was
    seen. Truth: the same bodies replayed as the Hub sent them, whose cards are objects; the
    staged card fields, the licences and the lineage must be the same."""
    from huggingface_hub import ModelInfo

    bodies = recorded_bodies(hubdata, lambda b: bool(b.get("cardData")))
    saved = [json.loads(json.dumps(vars(ModelInfo(**b)), default=str)) for b in bodies]
    assert len(saved) >= 30
    assert all(
        isinstance(s["card_data"], str) and not s["card_data"].startswith("{") for s in saved
    )

    def build(name: str, items: list[dict]) -> dict[str, list[tuple]]:
        layout = Layout(tmp_path / name)
        replay_file(write_jsonl(tmp_path / f"{name}.jsonl", items), layout.raw_models(DAY), DAY)
        staged = stage_models(layout, DAY).paths["models_staged"]
        licences = build_model_licenses(layout, DAY).path
        lineage = build_lineage(layout, DAY).paths["model_lineage"]
        card = (
            "model_id, card_license, card_license_name, card_license_link, card_base_model, "
            "card_base_model_relation, card_datasets, card_data::varchar like '{%' as card_object"
        )
        return {
            "staged": duckdb.sql(
                f"select {card} from read_parquet(?) order by all", params=[str(staged)]
            ).fetchall(),
            "licences": duckdb.sql(
                "select * exclude (snapshot_date) from read_parquet(?) order by all",
                params=[str(licences)],
            ).fetchall(),
            "lineage": duckdb.sql(
                "select * exclude (snapshot_date) from read_parquet(?) order by all",
                params=[str(lineage)],
            ).fetchall(),
        }

    truth, got = build("api", bodies), build("modelinfo", saved)
    # the cards themselves: ModelCardData leaves out keys whose value is null, nothing else
    cards = {}
    for name in ("api", "modelinfo"):
        path = Layout(tmp_path / name).table_partition("models_staged", DAY)
        rows = duckdb.sql("select model_id, card_data from read_parquet(?)", params=[str(path)])
        cards[name] = {
            m: {k: v for k, v in json.loads(card).items() if v is not None}
            for m, card in rows.fetchall()
        }
    assert cards["modelinfo"] == cards["api"] and len(cards["api"]) == len(saved)
    # the cards say something to compare: names of custom licences, parents, datasets
    staged = truth["staged"]
    assert all(row[-1] for row in staged) and len(staged) == len(saved)
    assert sum(row[4] is not None for row in staged) >= 5
    assert sum(row[6] is not None for row in staged) >= 5
    assert got == truth


def _recorded_full_bodies(hubdata: Path) -> list[dict]:
    """One full API body per repository (with tags: not an `expand` answer)."""
    return recorded_bodies(hubdata, lambda b: "tags" in b)


def _asdict_saves(bodies: list[dict]) -> list[dict]:
    """The bodies read by huggingface_hub's ModelInfo and saved with `dataclasses.asdict`."""
    from huggingface_hub import ModelInfo

    return [json.loads(json.dumps(dataclasses.asdict(ModelInfo(**b)), default=str)) for b in bodies]


def test_modelinfo_saved_with_asdict_has_unknown_cards(hubdata, tmp_path):
    """`dataclasses.asdict(info)` copies no field of a ModelInfo's card (ModelCardData is a
    dataclass that declares none): every card of such a save is `{}`, whatever it said. Read as
    empty cards, they would say "no code link" for every model, known. They are unknown: no card
    object is staged, `cardData` is absent from the day's coverage, code links are unknown. What
    the tags show (licences, parents, datasets, papers, files) stays. Truth: the recorded bodies as
    the Hub sent them, whose cards say plenty."""
    bodies = _recorded_full_bodies(hubdata)
    saved = _asdict_saves(bodies)
    assert len(saved) >= 30
    with_card = {b["id"] for b in bodies if b.get("cardData")}
    # the save really empties the cards: no key survives, though 33 cards had some
    assert len(with_card) >= 30
    assert all(s["card_data"] == {} for s in saved if s["id"] in with_card)

    truth_staged, _, _ = stage_file(tmp_path / "api", write_jsonl(tmp_path / "api.jsonl", bodies))
    truth = _evidence(Layout(tmp_path / "api" / "out"))
    staged, quarantine, coverage = stage_file(
        tmp_path / "asdict", write_jsonl(tmp_path / "asdict.jsonl", saved)
    )
    got = _evidence(Layout(tmp_path / "asdict" / "out"))
    assert quarantine == [] and {r["model_id"] for r in staged} == set(truth)
    assert all(r["card_data"] is None for r in staged)
    assert {c["field"]: c["records_with_field"] for c in coverage}["cardData"] == 0
    # the real cards gave known code links (none, for these models); the emptied ones say nothing
    assert all(truth[m]["code_links"] == [] for m in with_card)
    assert all(got[m]["code_links"] is None for m in got)
    # a training script in the file list is still seen; without one, training code is unknown
    assert {m for m in got if got[m]["has_training_code"]} == {
        m for m in truth if truth[m]["has_training_code"]
    }
    assert all(got[m]["has_training_code"] in (True, None) for m in got)
    # what the tags show is unchanged: licence categories, tiers, datasets, papers
    for field in ("license_category", "openness_tier", "training_datasets", "arxiv_ids"):
        assert {m: got[m][field] for m in got} == {m: truth[m][field] for m in truth}, field
    # and so are the parents, which the Hub writes into the tags from the card
    lineage = {}
    for name in ("api", "asdict"):
        path = build_lineage(Layout(tmp_path / name / "out"), DAY).paths["model_lineage"]
        lineage[name] = duckdb.sql(
            "select * exclude (snapshot_date) from read_parquet(?) order by all",
            params=[str(path)],
        ).fetchall()
    assert lineage["asdict"] == lineage["api"]
    assert any(r["card_base_model"] for r in truth_staged)


def test_one_real_card_keeps_a_days_empty_cards(hubdata, tmp_path):
    """An empty card in a day of real cards is an empty card: known to name no code link. Only a
    day of nothing but empty cards has them unknown. Truth: two recorded bodies, one of them
    given an empty card by hand."""
    bodies = {b["id"]: b for b in _recorded_full_bodies(hubdata)}
    full = bodies["sentence-transformers/all-MiniLM-L6-v2"]
    empty = dict(bodies["google-bert/bert-base-uncased"], cardData={})
    staged, _, coverage = stage_file(tmp_path, write_jsonl(tmp_path / "day.jsonl", [full, empty]))
    cards = {r["model_id"]: r["card_data"] for r in staged}
    assert json.loads(cards["google-bert/bert-base-uncased"]) == {}
    assert json.loads(cards[full["id"]])["license"] == "apache-2.0"
    assert {c["field"]: c["records_with_field"] for c in coverage}["cardData"] == 2
    got = _evidence(Layout(tmp_path / "out"))
    assert got["google-bert/bert-base-uncased"]["code_links"] == []


def test_an_asdict_archive_release_says_its_cards_are_missing(hubdata, tmp_path, monkeypatch):
    """Through `hub-census run --from-file` on a real Dagster instance: the release card of a day
    saved with `dataclasses.asdict` says the source lacked `cardData`, and staging's
    materialization counts the empty cards it read as unknown. Truth: the recorded bodies with a
    card (the save empties each of them)."""
    import dagster as dg

    from pipeline.cli import EXIT_OK, main

    bodies = _recorded_full_bodies(hubdata)
    saved = _asdict_saves(bodies)
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    out = tmp_path / "out"
    source = write_jsonl(tmp_path / "asdict.jsonl", saved)
    args = ["run", "--date", "2025-03-21", "--from-file", str(source), "--out", str(out)]
    assert main([*args, "--coverage", "subset", "--no-progress"]) == EXIT_OK
    card = (Layout(out).release(date(2025, 3, 21)) / "README.md").read_text(encoding="utf-8")
    lacks = re.search(r"The source lacked these fields[^:]*: ([^.]*)\.", card)
    assert lacks and "`cardData`" in lacks.group(1)
    # the day's one file is named as lacking cards, and the card says it once, as the source's
    release = Layout(out).release(date(2025, 3, 21))
    with duckdb.connect() as conn:
        ((without_cards,),) = conn.execute(
            "select recordings_without_cards from read_parquet(?)",
            [str(release / "snapshot_sources.parquet")],
        ).fetchall()
    assert without_cards == ["asdict.jsonl"]
    assert "Files that carry no model card" not in card
    instance = dg.DagsterInstance.from_config(str(home))
    (record,) = instance.fetch_materializations(dg.AssetKey("models_staged"), limit=5).records
    metadata = record.asset_materialization.metadata
    assert metadata["empty_cards_unknown"].value == sum(bool(b.get("cardData")) for b in bodies)
    assert metadata["cards_left_as_text"].value == 0


def _unknowns(layout: Layout) -> dict[str, tuple]:
    """Per model: what its record can say, as licences and lineage read it (code links and
    training code, only ever known from a card or a file list; whether its parents are known)."""
    evidence = _evidence(layout)
    lineage = build_lineage(layout, DAY).paths["model_lineage"]
    with duckdb.connect() as conn:
        parents = dict(
            conn.execute(
                "select model_id, base_models is not null from read_parquet(?)", [str(lineage)]
            ).fetchall()
        )
    return {
        model: (e["code_links"], e["has_training_code"], e["license_category"], parents[model])
        for model, e in evidence.items()
    }


def test_recordings_combined_on_a_date_each_say_what_they_carry(hubdata, tmp_path):
    """A date that combines recordings of different shapes (`--combine`: family-tree scrapes of
    one day, one of them minimal) reads each as it reads alone. Whether a source carries cards,
    and whether its tags name parents, was decided for the whole date: the minimal scrape's code
    links read as "none" beside a file of cards, and the 2022 listing's models as roots beside a
    file whose tags name parents. Truth: each recording staged on its own."""
    bodies = sorted(_recorded_full_bodies(hubdata), key=lambda b: b["id"])
    with_card = [b for b in bodies if b.get("cardData")]
    full, rest = with_card[::2], [b for b in bodies if b not in with_card[::2]]
    # the minimal variant of a scrape (hub_api_shape.md, section 5): no card, no file list
    minimal = [
        {k: b[k] for k in ("id", "sha", "tags", "downloads", "pipeline_tag") if k in b}
        for b in rest[::2]
    ]
    minimal = [{"modelId": m.pop("id"), **m} for m in minimal]
    saved = _asdict_saves(rest[1::2])
    recordings = {
        "full.jsonl": full,
        "minimal.jsonl": minimal,
        "listing_2022.jsonl": LISTING_2022,
        "asdict.jsonl": saved,
    }
    truth, alone = {}, {}
    for name, items in recordings.items():
        layout = Layout(tmp_path / f"alone-{name}")
        replay_file(write_jsonl(tmp_path / name, items), layout.raw_models(DAY), DAY)
        stage_models(layout, DAY)
        truth |= _unknowns(layout)
        alone[name] = _files_lacking(layout)
    combined = Layout(tmp_path / "combined")
    replay_files([tmp_path / name for name in recordings], combined.raw_models(DAY), DAY)
    result = stage_models(combined, DAY)
    # what staging reports of each file: its staged models (the 2022 listing's record without
    # an id is quarantined) and whether it carries cards
    assert [(r["recording"], r["models"], r["cards"]) for r in result.recordings] == [
        ("full.jsonl", len(full), True),
        ("minimal.jsonl", len(minimal), False),
        ("listing_2022.jsonl", len(LISTING_2022) - 1, False),
        ("asdict.jsonl", len(saved), False),
    ]
    assert result.recordings[2]["parents_in_tags"] is False
    got = _unknowns(combined)
    assert got == truth
    # what the truth holds: each kind of record, known or unknown as its own recording says
    assert all(truth[b["id"]][0] is not None and truth[b["id"]][3] for b in full)
    assert all(truth[m["modelId"]][0] is None for m in minimal)
    assert truth["bert-base-uncased"][0] is None and not truth["bert-base-uncased"][3]
    assert all(truth[b["id"]][0] is None for b in rest[1::2])
    # the release names the files that lack what others carry; truth: the items written above
    # (staged ones: the listing's record without an id is quarantined)
    without_cards, without_parent_tags = _files_lacking(combined)
    assert without_cards == ["minimal.jsonl", "listing_2022.jsonl", "asdict.jsonl"]
    assert without_parent_tags == [
        name
        for name, items in recordings.items()
        if not any(
            t.startswith("base_model:")
            for i in items
            if i.get("id") or i.get("modelId")
            for t in i.get("tags") or []
        )
    ]
    assert "listing_2022.jsonl" in without_parent_tags and "full.jsonl" not in without_parent_tags
    # a file read alone names itself when it lacks them, as the date's one source
    assert alone == {
        name: (
            [name] if name in without_cards else [],
            [name] if name in without_parent_tags else [],
        )
        for name in recordings
    }


def _files_lacking(layout: Layout) -> tuple[list[str] | None, list[str] | None]:
    """The day's `snapshot_sources` lists of files without cards and without parents in tags."""
    with duckdb.connect() as conn:
        path, _ = build_snapshot_sources(layout, DAY, SourceInfo("archive_import"), conn)
        return conn.execute(
            "select recordings_without_cards, recordings_without_parent_tags from read_parquet(?)",
            [str(path)],
        ).fetchone()


def test_a_partition_staged_before_the_recording_columns_reads_as_before(hubdata, tmp_path):
    """A `models_staged` partition written before staging said what each record's recording
    carries is read with the whole date as its one recording: the same evidence and parents as
    the partition staged now. Truth: the same partition with the two columns."""
    items = [*_recorded_full_bodies(hubdata)[:6], *LISTING_2022]
    layout = Layout(tmp_path / "out")
    replay_file(write_jsonl(tmp_path / "day.jsonl", items), layout.raw_models(DAY), DAY)
    staged = stage_models(layout, DAY).paths["models_staged"]
    now = _unknowns(layout)
    old, of_145 = tmp_path / "old.parquet", tmp_path / "1.4.5.parquet"
    with duckdb.connect() as conn:
        conn.execute(
            "copy (select * exclude (source_recording, source_has_cards, source_names_parents) "
            "from read_parquet(?)) to ? (format parquet)",
            [str(staged), str(old)],
        )
        conn.execute(
            "copy (select * exclude (source_recording) from read_parquet(?)) to ? (format parquet)",
            [str(staged), str(of_145)],
        )
    # the day's one file carries cards and parents in its tags (the recorded bodies do, the
    # 2022 listing's records not): nothing is named while the partition says what its file holds
    assert any(b.get("cardData") for b in items)
    assert any(t.startswith("base_model:") for b in items for t in b.get("tags") or [])
    assert _files_lacking(layout) == ([], [])
    # one staged by 1.4.5 says what each record's file carries, not which file that is
    current = staged.read_bytes()
    of_145.replace(staged)
    assert _files_lacking(layout) == (None, None)
    staged.write_bytes(current)
    old.replace(staged)
    assert "source_has_cards" not in read_rows(staged)[0]
    assert _unknowns(layout) == now
    # what such a partition does not say is unknown, not "every file carries cards"
    assert _files_lacking(layout) == (None, None)
