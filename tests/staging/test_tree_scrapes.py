"""Family-tree scrapes (the "Anatomy of a Machine Learning Ecosystem" files) wrap each model:
`{"model_id", "metadata": "<json.dumps(vars(ModelInfo))>", "depth", "children", ...}`
(../shared/research/hub_api_shape.md, section 5). Read as items, every line lacked an id and the
whole file was quarantined. The replay unwraps them; truth is the recorded API bodies the
wrappers are built from, through huggingface_hub's own ModelInfo, as the Hub sent them."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.hub.raw import MAX_RECORD_BYTES
from pipeline.hub.replay import replay_file
from pipeline.paths import Layout
from pipeline.staging import stage_models
from tests.staging.conftest import read_rows, recorded_bodies

DAY = date(2025, 4, 16)
# what the scrapes hold besides the full records (hub_api_shape.md, section 5)
JUNK = {"model_id": "https://huggingface.co/org/x", "metadata": "N/A", "depth": 3, "children": []}
MINIMAL = {
    "modelId": "org/minimal",
    "sha": "0" * 40,
    "tags": ["transformers", "license:mit", "base_model:meta-llama/Llama-3.1-8B"],
    "downloads": 12,
    "pipeline_tag": "text-generation",
}
# the staged columns the wrapper must not change (card_data: ModelCardData drops null keys,
# test_source_shapes.py compares it)
COLUMNS = "* exclude (snapshot_date, card_data)"


@pytest.fixture(scope="module")
def bodies(hubdata) -> list[dict]:
    return recorded_bodies(hubdata, lambda b: "siblings" in b)


def wrap(body: dict, depth: int = 1) -> dict:
    from huggingface_hub import ModelInfo

    metadata = json.dumps(vars(ModelInfo(**body)), default=str)
    return {"model_id": body["id"], "metadata": metadata, "depth": depth, "children": []}


def stage(tmp_path: Path, name: str, source: Path) -> tuple[Layout, dict, list[dict]]:
    layout = Layout(tmp_path / name)
    manifest = replay_file(source, layout.raw_models(DAY), DAY)
    result = stage_models(layout, DAY)
    return layout, {"manifest": manifest, "result": result}, read_rows(result.paths["quarantine"])


def staged(layout: Layout) -> list[tuple]:
    path = layout.table_partition("models_staged", DAY)
    return duckdb.sql(
        f"select {COLUMNS} from read_parquet(?) order by model_id", params=[str(path)]
    ).fetchall()


def truth_of(tmp_path: Path, bodies: list[dict]) -> Layout:
    """The recorded bodies staged as the Hub sent them: what an unwrapped scrape must equal."""
    source = tmp_path / "api.jsonl"
    source.write_text("".join(json.dumps(b) + "\n" for b in bodies), encoding="utf-8")
    return stage(tmp_path, "api", source)[0]


@pytest.mark.parametrize("form", ["jsonl.gz", "json"])
def test_family_tree_scrapes_are_unwrapped(bodies, tmp_path, form):
    lines = [JUNK, *(wrap(b, depth=n % 3) for n, b in enumerate(bodies))]
    lines.append({"model_id": "org/minimal", "metadata": json.dumps(MINIMAL), "depth": 2})
    source = tmp_path / f"tree.{form}"
    if form == "json":  # a saved scrape as one JSON array, pretty-printed
        source.write_text(json.dumps(lines, indent=2), encoding="utf-8")
    else:
        source.write_bytes(gzip.compress("".join(json.dumps(x) + "\n" for x in lines).encode()))
    layout, got, quarantine = stage(tmp_path, "scrape", source)
    truth = truth_of(tmp_path, bodies)
    assert got["manifest"].rejected_count == 0
    # the junk line has no item to unwrap: it stays as it is and is quarantined with its text
    assert [(q["reason"], json.loads(q["raw_record"])["metadata"]) for q in quarantine] == [
        ("missing_id", "N/A")
    ]
    rows = staged(layout)
    minimal = [r for r in rows if r[0] == "org/minimal"]
    assert len(minimal) == 1 and len(rows) == len(bodies) + 1
    assert [r for r in rows if r[0] != "org/minimal"] == staged(truth)
    by_id = {r["model_id"]: r for r in read_rows(got["result"].paths["models_staged"])}
    assert by_id["org/minimal"]["base_model_tags"] == ["base_model:meta-llama/Llama-3.1-8B"]
    assert by_id["org/minimal"]["downloads_30d"] == 12
    # the minimal variant is keyed as a 2022 listing item was (`modelId` only)
    shapes = {r["source_shape"] for r in read_rows(got["result"].paths["field_coverage"])}
    assert shapes == {"listing_2022+modelinfo_dict"}
    # the manifest names the scrape itself, with the digest of its bytes
    assert got["manifest"].source_path == str(source.resolve())


def test_bad_lines_of_a_scrape_are_set_aside_with_their_reasons(bodies, tmp_path):
    """Lines DuckDB cannot read send the unwrapping line by line through Python: each bad line
    reaches the replay's checks as it is, and an item unwrapped from a line carries the same
    checks as any other (nesting, NaN): nothing is dropped, the good lines are staged."""
    good = [wrap(b) for b in bodies[:5]]
    deep = wrap(bodies[5]) | {
        "metadata": '{"id": "org/deep", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    }
    nan = wrap(bodies[6]) | {"metadata": '{"id": "org/nan", "likes": NaN}'}
    over_long = json.dumps({"model_id": "org/big", "metadata": "x" * (MAX_RECORD_BYTES + 10)})
    lines = [json.dumps(good[0]), "{not json", *(json.dumps(g) for g in good[1:])]
    lines += ["", json.dumps(deep), json.dumps(nan), over_long]
    source = tmp_path / "tree.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    layout, got, quarantine = stage(tmp_path, "scrape", source)
    # Python's unwrapping stages the good lines exactly as the items the Hub sent
    truth = truth_of(tmp_path, bodies[:5])
    assert got["result"].rows_staged == len(good)
    assert staged(layout) == staged(truth)
    rejected = [
        json.loads(line)
        for line in gzip.decompress(
            (layout.raw_models(DAY) / "rejected.jsonl.gz").read_bytes()
        ).splitlines()
    ]
    reasons = sorted(r["reason"].split(" (")[0] for r in rejected)
    assert got["manifest"].rejected_count == len(rejected)
    assert reasons == [
        "empty line",
        "invalid JSON",
        "not strict UTF-8 JSON",  # the NaN
        "record_too_large",
        "too_deep",
    ]
    # each is in the published quarantine, from ingest; staging refused none of the others
    assert sorted((q["stage"], q["reason"].split(" (")[0]) for q in quarantine) == [
        ("ingest", reason) for reason in reasons
    ]


@pytest.mark.parametrize(
    "before",
    [["{not json"], [""], ["42", "x" * (MAX_RECORD_BYTES + 10)]],
    ids=["broken", "blank", "number-and-over-long"],
)
def test_a_scrape_is_known_by_its_first_readable_line(bodies, tmp_path, before):
    """Lines that cannot be read at the head of a scrape (broken, blank, not an object, over-long)
    are set aside, and the scrape behind them is still unwrapped: read as items, each of its
    lines would have been quarantined for lacking an id. Truth: the recorded bodies."""
    lines = [*before, *(json.dumps(wrap(b)) for b in bodies[:5])]
    source = tmp_path / "tree.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    layout, got, quarantine = stage(tmp_path, "scrape", source)
    assert staged(layout) == staged(truth_of(tmp_path, bodies[:5]))
    assert got["manifest"].rejected_count == len(before)
    assert [q["stage"] for q in quarantine] == ["ingest"] * len(before)
