"""Real recorded Hub items (../shared/hubdata) through the same staging path as a crawl's pages."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from pipeline.paths import Layout
from pipeline.sql import load_sql
from pipeline.staging import stage_models
from tests.staging.conftest import DAY, make_raw_snapshot, read_rows


def recorded_items(hubdata: Path) -> list[dict]:
    """Full items only: the tree listings and the full `GET /api/models/{id}` bodies."""
    items = [
        json.loads(line)
        for path in sorted((hubdata / "trees").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    for path in sorted((hubdata / "api-responses").glob("*_200_*.json")):
        if "_expand-" not in path.name:  # `expand` answers hold only _id, id and one key
            items.append(json.loads(path.read_text(encoding="utf-8")))
    return items


@pytest.fixture(scope="module")
def staged_samples(tmp_path_factory, hubdata):
    items = recorded_items(hubdata)
    root = tmp_path_factory.mktemp("samples")
    make_raw_snapshot(root, DAY, items, page_size=50)
    result = stage_models(Layout(root), DAY)
    staged = read_rows(result.paths["models_staged"])
    return items, result, staged, read_rows(result.paths["quarantine"])


def test_every_record_accounted_for(staged_samples):
    items, result, staged, quarantine = staged_samples
    assert len(items) > 250
    assert result.rows_staged + result.rows_quarantined == len(items)
    # real data is clean: only repeated recordings of one repository are set aside
    assert {q["reason"] for q in quarantine} == {"duplicate_hub_id"}
    assert result.rows_staged == len({i["_id"] for i in items})
    assert len({r["hub_id"] for r in staged}) == len(staged)


def test_llama_31_instruct_hand_checked(staged_samples):
    _, _, staged, _ = staged_samples
    [llama] = [r for r in staged if r["model_id"] == "meta-llama/Llama-3.1-8B-Instruct"]
    assert llama["hub_id"] == "6698d8a0653e4babe21e1e7d"
    # the card keeps the name the author typed; the tag holds the Hub's canonical parent
    assert llama["card_base_model"] == ["meta-llama/Meta-Llama-3.1-8B"]
    assert "base_model:finetune:meta-llama/Llama-3.1-8B" in llama["base_model_tags"]
    assert llama["base_model_tags"] == [
        "base_model:meta-llama/Llama-3.1-8B",
        "base_model:finetune:meta-llama/Llama-3.1-8B",
    ]
    assert llama["license_tags"] == ["llama3.1"]
    assert llama["card_license"] == ["llama3.1"]
    assert llama["gated"] == "manual"
    assert llama["parameter_count"] == 8030261248
    assert llama["created_at"] == datetime(2024, 7, 18, 8, 56)
    assert llama["last_modified"] == datetime(2024, 9, 25, 17, 0, 57)
    assert llama["downloads_30d"] == 5795728
    assert llama["siblings"][:4] == [".gitattributes", "LICENSE", "README.md", "USE_POLICY.md"]
    assert len(llama["siblings"]) == 17


def test_other_hand_checked_samples(staged_samples):
    _, _, staged, _ = staged_samples
    rows = {r["model_id"]: r for r in staged}

    exaone = rows["LGAI-EXAONE/EXAONE-Deep-32B"]
    assert (exaone["card_license"], exaone["card_license_name"]) == (["other"], "exaone")
    assert exaone["card_license_link"] == "LICENSE"
    assert exaone["card_base_model"] == ["LGAI-EXAONE/EXAONE-3.5-32B-Instruct"]
    assert exaone["card_base_model_relation"] == "finetune"
    assert exaone["gated"] == "no"
    assert exaone["parameter_count"] == 32003200000

    mistral = rows["mistralai/Mistral-Small-24B-Base-2501"]
    assert mistral["gated"] == "auto"
    assert mistral["card_base_model"] is None and mistral["base_model_tags"] == []
    assert mistral["last_modified"] == datetime(2025, 1, 30, 17, 0, 21)

    reasoner = rows["lemonilia/Mistral-Small-3-Reasoner-s1"]
    assert reasoner["gguf_present"] is True
    assert reasoner["card_base_model"] == ["mistralai/Mistral-Small-24B-Instruct-2501"]

    # recorded in 2024 with no card base_model and in 2025 with a list: the later one is kept
    squad = rows["deepset/roberta-base-squad2"]
    assert squad["card_base_model"] == ["FacebookAI/roberta-base"]
    assert squad["created_at"] == datetime(2022, 3, 2, 23, 29, 5)
    assert squad["created_at_is_placeholder"] is False

    # `gpt2` answers as an alias of openai-community/gpt2 (same _id): one row, namespaced id
    assert "gpt2" not in rows
    gpt2 = rows["openai-community/gpt2"]
    assert gpt2["hub_id"] == "621ffdc036468d709f17434d"
    assert gpt2["created_at_is_placeholder"] is True
    assert gpt2["author"] == "openai-community"

    # zephyr was recorded in March 2024 (no relation tag) and in 2025 (with it)
    zephyr = rows["HuggingFaceH4/zephyr-7b-beta"]
    assert "base_model:finetune:mistralai/Mistral-7B-v0.1" in zephyr["base_model_tags"]
    assert zephyr["last_modified"] == datetime(2024, 10, 16, 11, 48, 13)


# --- issue 2: the recorded samples and the simulator's output share one shape -----------------

SIM_DAY = date(2026, 1, 1)


def keys_read_by_staging() -> tuple[set[str], set[str]]:
    """The item keys and the cardData keys the staging SQL reads (its json_extract paths)."""
    sql = load_sql("staging/create_stage_records")
    [paths] = re.findall(r"json_extract\(record, \[(.*?)\]\)", sql, re.S)
    keys = [path.split(".") for path in re.findall(r"'\$\.([^']*)'", paths)]
    top = {k[0] for k in keys}
    card = {k[1] for k in keys if k[0] == "cardData" and len(k) > 1}
    return top, card


def card_keys(items: list[dict]) -> set[str]:
    return {k for i in items if isinstance(i.get("cardData"), dict) for k in i["cardData"]}


def test_samples_and_simulator_share_one_shape(hubdata, tmp_path):
    world_mod = pytest.importorskip("pipeline.simulator.world")

    real = recorded_items(hubdata)
    world = world_mod.World(world_mod.WorldConfig(n_models=400, start_date=SIM_DAY))
    simulated = list(world.state(SIM_DAY).iter_items())
    layout = Layout(tmp_path)
    make_raw_snapshot(tmp_path, DAY, [*simulated, *real], page_size=100)
    result = stage_models(layout, DAY)
    staged = read_rows(result.paths["models_staged"])
    sim_ids = {i["_id"] for i in simulated}
    assert not sim_ids & {i["_id"] for i in real}
    sim_rows = [r for r in staged if r["hub_id"] in sim_ids]
    real_rows = [r for r in staged if r["hub_id"] not in sim_ids]
    assert len(sim_rows) == len(sim_ids)

    # the keys staging reads from real items are all produced by the simulator
    top, card = keys_read_by_staging()
    real_top = top & {k for i in real for k in i}
    sim_top = top & {k for i in simulated for k in i}
    assert real_top - sim_top == set()
    real_card = card & {
        k for i in real if isinstance(i.get("cardData"), dict) for k in i["cardData"]
    }
    sim_card = card & {
        k for i in simulated if isinstance(i.get("cardData"), dict) for k in i["cardData"]
    }
    assert real_card - sim_card == set()

    # every staged column is populated from both sources, with values of the same Python types;
    # the only exceptions are columns whose source key no real sample carries
    absent_in_real = {
        "downloads_all_time": "downloadsAllTime",
        "trending_score": "trendingScore",
    }
    for column in staged[0]:
        sim_types = {type(r[column]) for r in sim_rows if r[column] is not None}
        real_types = {type(r[column]) for r in real_rows if r[column] is not None}
        assert sim_types, f"simulator never fills {column}"
        if column in absent_in_real:
            assert absent_in_real[column] not in {k for i in real for k in i}
            continue
        assert real_types, f"real samples never fill {column}"
        assert sim_types == real_types, column
