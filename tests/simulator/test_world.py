"""The simulated world: determinism, published proportions, every kind of mess in the rendered
items, and day-to-day evolution checked in both the truth and the items."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta

import pytest

from pipeline.simulator.truth import compute_truth
from pipeline.simulator.world import World, WorldConfig

START = date(2026, 1, 1)
HEX24 = re.compile(r"^[0-9a-f]{24}$")
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
REQUIRED = {
    "_id", "id", "modelId", "author", "sha", "createdAt", "lastModified", "private", "gated",
    "disabled", "downloads", "downloadsAllTime", "likes", "trendingScore", "pipeline_tag",
    "library_name", "tags", "siblings", "config",
}  # fmt: skip


def _depth(x, level=0) -> int:
    if isinstance(x, dict):
        return max([_depth(v, level + 1) for v in x.values()] or [level + 1])
    if isinstance(x, list):
        return max([_depth(v, level + 1) for v in x] or [level + 1])
    return level


def _strings(x):
    if isinstance(x, str):
        yield x
    elif isinstance(x, dict):
        for v in x.values():
            yield from _strings(v)
    elif isinstance(x, list):
        for v in x:
            yield from _strings(v)


@pytest.fixture(scope="module")
def big():
    world = World(WorldConfig(seed=7, start_date=START, n_models=100_000))
    state = world.state(START)
    items = {}
    problems = []
    prev = ""
    for item in state.iter_items():
        missing = REQUIRED - item.keys()
        if missing:
            problems.append((item.get("id"), f"missing {sorted(missing)}"))
        if not HEX24.match(item["_id"]) or item["_id"] <= prev:
            problems.append((item["id"], f"bad or unordered _id {item['_id']}"))
        prev = item["_id"]
        if not (TS.match(item["createdAt"]) and TS.match(item["lastModified"])):
            problems.append((item["id"], "timestamp format"))
        if item["id"] != item["modelId"] or item["private"] is not False:
            problems.append((item["id"], "id/modelId/private"))
        if item["gated"] not in (False, "auto", "manual"):
            problems.append((item["id"], f"gated {item['gated']!r}"))
        items[item["id"]] = item
    truth = compute_truth(world, START)
    return world, state, items, truth, problems


def test_items_have_the_hub_shape(big):
    _, state, items, truth, problems = big
    assert problems == []
    assert len(items) == len(state) == 100_000
    assert set(items) == set(truth.models["model_id"])
    # old repos carry the Hub's placeholder creation date
    placeholder = sum(1 for it in items.values() if it["createdAt"] == "2022-03-02T23:29:04.000Z")
    assert 0 < placeholder < 0.1 * len(items)
    assert all(it["createdAt"] >= "2022-03-02T23:29:04.000Z" for it in items.values())
    llama = items["meta-llama/Llama-3.1-8B-Instruct"]
    assert "license:llama3.1" in llama["tags"] and llama["gated"] == "manual"
    # the real card keeps the old parent id while the tags carry the canonical one
    assert llama["cardData"]["base_model"] in (
        "meta-llama/Meta-Llama-3.1-8B",
        ["meta-llama/Meta-Llama-3.1-8B"],
    )
    assert "base_model:finetune:meta-llama/Llama-3.1-8B" in llama["tags"]
    flux = items["black-forest-labs/FLUX.1-dev"]["cardData"]
    assert (
        flux["license"] == "other" and flux["license_name"] == "flux-1-dev-non-commercial-license"
    )


def test_weight_files_match_the_relation(big):
    _, _, items, truth, _ = big
    relation = dict(zip(truth.models["model_id"], truth.models["relation"], strict=True))
    seen = Counter()
    for mid, item in items.items():
        files = [s["rfilename"] for s in item["siblings"]]
        if relation[mid] == "adapter":
            assert "adapter_model.safetensors" in files and "adapter_config.json" in files, mid
            seen["adapter"] += 1
        if any(f.endswith(".gguf") for f in files):
            assert item.get("gguf"), mid
            seen["gguf"] += 1
        if "safetensors" in item:
            assert item["safetensors"]["total"] == sum(item["safetensors"]["parameters"].values())
            seen["safetensors"] += 1
    assert seen["adapter"] > 1000 and seen["gguf"] > 500
    # parameter counts exist for 23.38% of models (hub-stats 2025-10-23)
    assert 0.15 < seen["safetensors"] / len(items) < 0.32


def test_published_proportions(big):
    _, _, items, truth, _ = big
    m = truth.models
    non_foundation = m.filter(~m["is_foundation"])
    declares = (non_foundation["parents"].list.len() > 0).mean()
    assert abs(declares - 0.2809) < 0.03  # hub-stats 2025-10-23
    # relation mix seen in the items' relation tags: 42.6 / 35.9 / 19.2 / 2.3 %
    rel = Counter()
    for item in items.values():
        kinds = {
            t.split(":")[1]
            for t in item["tags"]
            if t.count(":") >= 2 and t.startswith("base_model:")
        }
        if len(kinds) == 1:
            rel[kinds.pop()] += 1
    total = sum(rel.values())
    for name, share in (
        ("adapter", 0.4257),
        ("finetune", 0.3591),
        ("quantized", 0.1922),
        ("merge", 0.023),
    ):
        assert abs(rel[name] / total - share) < 0.03, (name, rel[name] / total)
    # licenses: a large share with none; apache-2.0 and mit far ahead of the rest
    lic = Counter()
    for item in items.values():
        tags = [t[8:] for t in item["tags"] if t.startswith("license:")]
        card = (item.get("cardData") or {}).get("license")
        lic[tags[0] if tags else ("(card only)" if card else "(none)")] += 1
    assert lic["(none)"] / len(items) > 0.3
    top = [name for name, _ in lic.most_common(4) if not name.startswith("(")]
    assert top[:2] == ["apache-2.0", "mit"]
    assert lic["apache-2.0"] > 2 * lic["mit"] > 4 * lic.most_common(5)[-1][1]
    # heavy-tailed downloads and likes: most models have none; the top 1% hold most downloads
    downloads = sorted((it["downloadsAllTime"] for it in items.values()), reverse=True)
    assert sum(1 for it in items.values() if it["downloads"] == 0) / len(items) > 0.5
    assert sum(1 for it in items.values() if it["likes"] == 0) / len(items) > 0.85
    assert sum(downloads[: len(downloads) // 100]) > 0.5 * sum(downloads)


def test_quantized_models_are_almost_always_leaves(big):
    _, _, _, truth, _ = big
    m = truth.models
    parents = set(m["parent_hub_ids"].explode().drop_nulls())
    quantized = m.filter(m["relation"] == "quantized")["hub_id"]
    with_children = sum(1 for h in quantized if h in parents)
    assert quantized.len() > 1000
    assert with_children / quantized.len() < 0.02  # Model Atlas: 99.41% are leaves
    assert truth.aggregates["max_depth"] >= 4  # several generations deep


def _card_refs(item) -> list:
    bm = (item.get("cardData") or {}).get("base_model")
    return bm if isinstance(bm, list) else [bm] if bm is not None else []


def test_every_reference_kind_is_rendered(big):
    _, state, items, truth, _ = big
    e = truth.edges
    kinds = Counter(e["ref_kind"])
    for kind in (
        "clean",
        "old_id",
        "url",
        "case",
        "whitespace",
        "typo",
        "deleted",
        "private",
        "self",
        "cycle",
    ):
        assert kinds[kind] >= 5, kind
    bm_types = Counter(
        type((it.get("cardData") or {}).get("base_model")).__name__ for it in items.values()
    )
    assert bm_types["str"] > 1000 and bm_types["list"] > 500
    checked = Counter()
    for row in e.iter_rows(named=True):
        item = items[row["child_id"]]
        refs = _card_refs(item)
        text, target, kind = row["declared"], row["target_id"], row["ref_kind"]
        assert text in refs, row
        has_tag = f"base_model:{target}" in item["tags"]
        if kind in ("clean", "old_id", "case", "whitespace", "cycle"):
            assert has_tag, row
        elif not any(r["target_id"] == target and r["in_tags"] for r in [row]):
            others = e.filter(
                (e["child_id"] == row["child_id"]) & (e["target_id"] == target) & e["in_tags"]
            )
            assert has_tag == (others.height > 0), row
        # independent checks of what the string is
        if kind == "url":
            assert text.startswith("https://huggingface.co/")
            ref = (
                text.removeprefix("https://huggingface.co/").removesuffix("/tree/main").rstrip("/")
            )
            assert ref == target or state.redirect_for(ref) == target
        elif kind == "whitespace":
            assert text != text.strip() and text.strip() == target
        elif kind == "case":
            assert text != target and text.lower() == target.lower()
        elif kind == "old_id":
            assert (
                state.redirect_for(text.strip()) == target and state.get_item(text.strip()) is None
            )
        elif kind == "typo":
            assert state.get_item(text) is None and state.redirect_for(text) is None
        elif kind in ("deleted", "private"):
            assert state.get_item(target) is None and target not in items
        elif kind == "self":
            assert text == row["child_id"]
        elif kind == "cycle":
            back = e.filter((e["child_id"] == target) & (e["target_id"] == row["child_id"]))
            assert back.height == 1 and back["declared"][0] in _card_refs(items[target])
        checked[kind] += 1
    assert len(checked) == 10


def test_license_and_hostile_mess_in_items(big):
    _, _, items, truth, _ = big
    found = Counter()
    for item in items.values():
        card = item.get("cardData") or {}
        lic = card.get("license")
        tags = [t for t in item["tags"] if t.startswith("license:")]
        if lic in ("Apache 2.0", "apache-2", "MIT License", "bsd-3", "MIT", "Apache License 2.0"):
            found["legacy"] += 1
        if lic == "???":
            found["question"] += 1
        if isinstance(lic, list):
            found["list"] += 1
        if lic is not None and not isinstance(lic, (str, list)):
            found["nonstring_license"] += 1
        if lic == "other" and card.get("license_name"):
            found["other_named"] += 1
            link = card.get("license_link") or ""
            found["link_relative"] += link in ("LICENSE", "LICENSE.md")
            found["link_url"] += link.startswith("https://")
        if card.get("license_name") and lic != "other":
            found["name_without_other"] += 1
        if len(tags) > 1:
            found["tag_disagree"] += 1
        if card.get("base_model_relation"):
            found["explicit_relation"] += 1
        text = json.dumps(card)
        if len(text) > 10_000 and any(len(s) > 10_000 for s in _strings(card)):
            found["long"] += 1
        if text.count("[") + text.count("{") >= 40 and _depth(card) >= 40:
            found["deep"] += 1
        if "\\u0000" in text or "\\u001b" in text or "\\u2028" in text:
            found["control"] += 1
        if any(
            not isinstance(card.get(k), (str, list, type(None))) for k in ("language", "base_model")
        ):
            found["nonstring_value"] += 1
    for kind in ("legacy", "question", "list", "nonstring_license", "other_named", "link_relative",
                 "link_url", "name_without_other", "tag_disagree", "explicit_relation", "long",
                 "deep", "control", "nonstring_value"):  # fmt: skip
        assert found[kind] >= 3, (kind, found)
    # the truth holds one stable id per model, whatever the card says
    cats = set(truth.models["license_category"])
    assert cats <= {"permissive", "weak-copyleft", "strong-copyleft", "public-domain",
                    "rail-use-restricted", "community-restricted", "non-commercial",
                    "unknown-other", "none"}  # fmt: skip
    assert "Apache 2.0" not in set(truth.models["license_id"])


def test_catalog_renames_redirect(big):
    _, state, items, _, _ = big
    assert state.redirect_for("bert-base-uncased") == "google-bert/bert-base-uncased"
    assert state.redirect_for("META-LLAMA/Meta-Llama-3.1-8B") == "meta-llama/Llama-3.1-8B"
    assert state.get_item("bert-base-uncased") is None
    assert state.get_item("Google-BERT/BERT-base-uncased")["id"] == "google-bert/bert-base-uncased"
    assert state.redirect_for("google-bert/bert-base-uncased") is None
    assert state.get_item("nobody/nothing-zzzzzz") is None and state.redirect_for("x") is None
    some = next(iter(items.values()))
    assert state.get_item(some["id"]) == some


def _dump(state) -> list[str]:
    return [json.dumps(it, sort_keys=False) for it in state.iter_items()]


def test_same_seed_same_bytes_and_different_seed_differs():
    day = START + timedelta(days=3)
    a = World(WorldConfig(seed=1, start_date=START, n_models=2_000))
    b = World(WorldConfig(seed=1, start_date=START, n_models=2_000))
    c = World(WorldConfig(seed=2, start_date=START, n_models=2_000))
    assert _dump(a.state(day)) == _dump(b.state(day))
    assert _dump(a.state(START)) == _dump(b.state(START))
    assert _dump(a.state(START)) != _dump(c.state(START))
    # asking for days out of order gives the same answer as asking in order
    fresh = World(WorldConfig(seed=1, start_date=START, n_models=2_000))
    assert _dump(fresh.state(START + timedelta(days=1))) == _dump(
        a.state(START + timedelta(days=1))
    )
    with pytest.raises(ValueError):
        a.state(START - timedelta(days=1))


def test_five_days_of_evolution():
    world = World(WorldConfig(seed=3, start_date=START, n_models=5_000))
    seen = Counter()
    for k in range(1, 6):
        day, prev_day = START + timedelta(days=k), START + timedelta(days=k - 1)
        prev, cur = world.state(prev_day), world.state(day)
        before = {it["_id"]: it for it in prev.iter_items()}
        after = {it["_id"]: it for it in cur.iter_items()}
        truth = compute_truth(world, day)
        changes = truth.changes
        by = {c: changes.filter(changes["change"] == c) for c in set(changes["change"])}
        added = set(by["added"]["hub_id"]) if "added" in by else set()
        removed = set(by["removed"]["hub_id"]) if "removed" in by else set()
        # the listings differ by exactly the recorded additions and removals
        assert set(after) - set(before) == added
        assert set(before) - set(after) == removed
        assert len(cur) == len(prev) + len(added) - len(removed)
        for row in by.get("renamed", changes.clear()).iter_rows(named=True):
            old, new = row["old_value"], row["new_value"]
            assert before[row["hub_id"]]["id"] == old and after[row["hub_id"]]["id"] == new
            assert cur.get_item(old) is None and cur.redirect_for(old) == new
            assert cur.get_item(new)["_id"] == row["hub_id"]
            seen["renamed"] += 1
        for row in by.get("license_changed", changes.clear()).iter_rows(named=True):
            a, b = before[row["hub_id"]], after[row["hub_id"]]
            assert (a.get("cardData"), a["tags"]) != (b.get("cardData"), b["tags"])
            assert a["sha"] != b["sha"] and b["lastModified"] > a["lastModified"]
            seen["license_changed"] += 1
        for row in by.get("gated_changed", changes.clear()).iter_rows(named=True):
            assert after[row["hub_id"]]["gated"] == {"no": False}.get(
                row["new_value"], row["new_value"]
            )
            seen["gated_changed"] += 1
        for row in by.get("base_changed", changes.clear()).iter_rows(named=True):
            edge = truth.edges.filter(
                (truth.edges["child_hub_id"] == row["hub_id"]) & (truth.edges["position"] == 0)
            )
            assert edge["target_id"].to_list() == [row["new_value"]]
            assert edge["declared"][0] in _card_refs(after[row["hub_id"]])
            seen["base_changed"] += 1
        seen["added"] += len(added)
        seen["removed"] += len(removed)
        # downloads move both ways; the all-time count almost never goes down
        common = set(before) & set(after)
        ups = sum(after[h]["downloads"] > before[h]["downloads"] for h in common)
        downs = sum(after[h]["downloads"] < before[h]["downloads"] for h in common)
        falls = sum(after[h]["downloadsAllTime"] < before[h]["downloadsAllTime"] for h in common)
        assert ups > 50 and downs > 50 and falls < 0.01 * len(common)
    for kind in ("added", "removed", "renamed", "license_changed", "gated_changed", "base_changed"):
        assert seen[kind] > 0, seen
