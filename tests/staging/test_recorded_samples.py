"""Real recorded Hub items (../shared/hubdata) through the same staging path as a crawl's pages."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
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
        if column == "source_recording":
            # which of the date's files a record came from: named only on a date that combines
            # several, and this one is one source
            assert all(r[column] is None for r in staged)
            continue
        sim_types = {type(r[column]) for r in sim_rows if r[column] is not None}
        real_types = {type(r[column]) for r in real_rows if r[column] is not None}
        assert sim_types, f"simulator never fills {column}"
        if column in absent_in_real:
            assert absent_in_real[column] not in {k for i in real for k in i}
            continue
        assert real_types, f"real samples never fill {column}"
        assert sim_types == real_types, column


# --- every field of every recorded item, read by Python's json as the truth ------------------


def _utc(text: str | None) -> datetime | None:
    """An ISO 8601 timestamp as the naive UTC datetime staging stores."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _as_list(value) -> list | None:
    if value is None:
        return None
    return value if isinstance(value, list) else [value]


def expected_row(item: dict) -> dict:
    card = item.get("cardData") if isinstance(item.get("cardData"), dict) else {}
    gated = item.get("gated")
    return {
        "model_id": item["id"],
        "hub_id": item["_id"],
        "author": item.get("author") or item["id"].split("/")[0],
        "created_at": _utc(item.get("createdAt")),
        "last_modified": _utc(item.get("lastModified")),
        "downloads_30d": item.get("downloads"),
        "downloads_all_time": item.get("downloadsAllTime"),
        "likes": item.get("likes"),
        "trending_score": item.get("trendingScore"),
        "pipeline_tag": item.get("pipeline_tag"),
        "library_name": item.get("library_name"),
        "gated": "no" if gated is False else gated,
        "is_private": item.get("private"),
        "is_disabled": item.get("disabled"),
        "parameter_count": (item.get("safetensors") or {}).get("total"),
        "tags": item.get("tags"),
        "siblings": [s["rfilename"] for s in item["siblings"]] if "siblings" in item else None,
        "gguf_present": item.get("gguf") is not None,
        "card_license": _as_list(card.get("license")),
        "card_license_name": card.get("license_name"),
        "card_license_link": card.get("license_link"),
        "card_base_model": _as_list(card.get("base_model")),
        "card_base_model_relation": card.get("base_model_relation"),
        "card_datasets": _as_list(card.get("datasets")),
        "card_data": item.get("cardData"),
    }


def test_every_staged_row_is_one_of_its_recordings_field_for_field(staged_samples):
    """Each staged row equals, in every typed column, one of the recordings of its repository
    (repeated recordings of one `_id` keep one, by the rule test_every_record_accounted_for
    counts): nothing of a real item is lost or bent on the way through a crawl's pages."""
    items, _, staged, _ = staged_samples
    by_hub_id: dict[str, list[dict]] = {}
    for item in items:
        by_hub_id.setdefault(item["_id"], []).append(expected_row(item))
    for row in staged:
        got = {k: row[k] for k in expected_row(items[0])}
        got["card_data"] = json.loads(row["card_data"]) if row["card_data"] else None
        candidates = by_hub_id[row["hub_id"]]
        assert got in candidates, (row["model_id"], candidates[0])
    assert len(staged) == len(by_hub_id)


def test_a_record_without_files_or_gguf_block_leaves_gguf_unknown(hubdata, tmp_path):
    """The recorded `expand` answers hold only `_id`, `id` and the key asked for: nothing says
    whether the repository has a GGUF file, so `gguf_present` is unknown, not false. A full
    item without the block (it is left out when there is no GGUF file) is false."""
    expand = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((hubdata / "api-responses").glob("*_200_*_expand-*.json"))
    ]
    full = [i for i in recorded_items(hubdata) if "gguf" not in i and "siblings" in i][:5]
    assert expand and all("gguf" not in i and "siblings" not in i for i in expand)
    # one record per repository, the expand answers renamed apart from the full items
    items = {
        f"expand/{n}": dict(i, _id=f"{n:024x}", id=f"expand/{n}") for n, i in enumerate(expand)
    }
    items |= {i["id"]: i for i in full}
    make_raw_snapshot(tmp_path, DAY, list(items.values()))
    result = stage_models(Layout(tmp_path), DAY)
    staged = {r["model_id"]: r["gguf_present"] for r in read_rows(result.paths["models_staged"])}
    assert staged == {k: (None if k.startswith("expand/") else False) for k in items}
