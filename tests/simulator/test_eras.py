"""The simulator's eras against the documented shapes of archived Hub records
(../shared/research/hub_archive_shapes.md and hub_api_shape.md; recorded 2024 bodies in
../shared/hubdata/api-responses/)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pipeline.simulator.eras import EraState
from pipeline.simulator.export import export_listing
from pipeline.simulator.truth import era_truth
from pipeline.simulator.world import World, WorldConfig

DAY = date(2022, 2, 21)
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
# the keys of every 2021-2022 listing item, as the archive notes list them
KEYS_2022 = {"modelId", "sha", "lastModified", "tags", "pipeline_tag", "siblings", "config",
             "private", "likes", "downloads", "library_name"}  # fmt: skip
ABSENT_2022 = {"id", "_id", "createdAt", "cardData", "gated", "downloadsAllTime", "safetensors",
               "gguf"}  # fmt: skip


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=3, start_date=DAY, n_models=3000))


@pytest.fixture(scope="module")
def items(world) -> dict[str, list[dict]]:
    st = world.state(DAY)
    return {era: list(EraState(st, era).iter_items()) for era in ("2022", "2024", "2026")}


def test_2026_is_todays_bytes(world, items, tmp_path):
    assert items["2026"] == list(world.state(DAY).iter_items())
    plain = export_listing(world, DAY, tmp_path / "a.jsonl")
    era = export_listing(world, DAY, tmp_path / "b.jsonl", era="2026")
    assert Path(plain["path"]).read_bytes() == Path(era["path"]).read_bytes()


def test_2022_items_have_the_listing_shape_of_their_era(items):
    keys = [set(item) for item in items["2022"]]
    assert all(k <= KEYS_2022 for k in keys)
    assert all(not (k & ABSENT_2022) for k in keys)
    # downloads absent on about 0.7% of items, library_name on about a quarter
    no_downloads = sum("downloads" not in k for k in keys) / len(keys)
    no_library = sum("library_name" not in k for k in keys) / len(keys)
    assert 0.001 < no_downloads < 0.02
    assert 0.1 < no_library < 0.45
    tags = [t for item in items["2022"] for t in item["tags"]]
    assert not [t for t in tags if t.startswith("base_model:")]
    assert any(t.startswith("license:") for t in tags)  # the license lives in tags only


def test_2022_ids_include_bare_git_and_long_names(world, items):
    ids = {item["modelId"] for item in items["2022"]}
    for bare in ("bert-base-uncased", "gpt2", "t5-base", "roberta-base"):
        assert bare in ids
    assert "google-bert/bert-base-uncased" not in ids
    assert [i for i in ids if i.endswith(".git")]
    assert [i for i in ids if len(i) > 96]
    truth = era_truth(world, DAY, "2022")
    legacy = dict(zip(truth.legacy_ids["era_model_id"], truth.legacy_ids["legacy"], strict=True))
    assert {i for i in ids if i.endswith(".git")} == {i for i, k in legacy.items() if k == "git"}
    assert {i for i in ids if len(i) > 96} == {i for i, k in legacy.items() if k == "long"}
    assert {i for i in ids if "/" not in i} == {i for i, k in legacy.items() if k == "bare"}
    assert set(truth.absent_fields) >= ABSENT_2022
    state = EraState(world.state(DAY), "2022")
    for model_id in legacy:
        assert state.get_item(model_id)["modelId"] == model_id


def test_2024_items_match_recorded_2024_bodies(items):
    keys = {k for item in items["2024"] for k in item}
    assert {"_id", "id", "modelId", "createdAt", "cardData"} <= keys
    assert not keys & {"downloadsAllTime", "trendingScore"}
    relation = [t for i in items["2024"] for t in i["tags"] if t.startswith("base_model:finetune:")]
    assert not relation and any(
        t.startswith("base_model:") for i in items["2024"] for t in i["tags"]
    )
    recorded = sorted((SHARED / "hubdata" / "api-responses").glob("202403*_200_*.json"))
    if not recorded:
        pytest.skip("../shared/hubdata is absent")
    for path in recorded:
        body = json.loads(path.read_text())
        # what a March 2024 body lacks, the 2024 era lacks too
        assert not set(body) & {"downloadsAllTime", "trendingScore"}
        assert {"_id", "id", "modelId", "createdAt"} <= set(body)


def test_the_three_eras_describe_the_same_models(world, items):
    truth = era_truth(world, DAY, "2022")
    to_canonical = dict(
        zip(truth.legacy_ids["era_model_id"], truth.legacy_ids["model_id"], strict=True)
    )
    ids_2022 = sorted(to_canonical.get(i["modelId"], i["modelId"]) for i in items["2022"])
    ids_2024 = sorted(i["id"] for i in items["2024"])
    ids_2026 = sorted(i["id"] for i in items["2026"])
    assert ids_2022 == ids_2024 == ids_2026 == sorted(truth.models["model_id"])
    by_id = {i["id"]: i for i in items["2026"]}
    for item in items["2022"]:
        same = by_id[to_canonical.get(item["modelId"], item["modelId"])]
        assert item["sha"] == same["sha"] and item["likes"] == same["likes"]


def test_served_2022_listing_pages_in_the_era_shape(world):
    from urllib.request import urlopen

    from pipeline.simulator.server import SimulatedHub

    with SimulatedHub(world.state(DAY), era="2022", max_limit=500) as hub:
        seen, url = [], f"{hub.url}/api/models?full=true"
        while url:
            with urlopen(url) as resp:
                seen += json.loads(resp.read())
                link = resp.headers.get("Link")
            url = link.split(";")[0].strip("<>") if link else None
        with urlopen(f"{hub.url}/api/models/gpt2") as resp:
            assert json.loads(resp.read())["modelId"] == "gpt2"
    assert len(seen) == len(world.state(DAY))
    assert all("_id" not in item and "modelId" in item for item in seen)
    assert "bert-base-uncased" in {item["modelId"] for item in seen}
