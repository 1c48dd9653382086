"""Ground truth written as Parquet + truth.json and read back unchanged."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest

from pipeline.simulator.truth import compute_truth, load_truth, write_truth
from pipeline.simulator.world import World, WorldConfig

START = date(2026, 1, 1)


@pytest.fixture(scope="module")
def world():
    return World(WorldConfig(seed=11, start_date=START, n_models=5_000))


def test_roundtrip(world, tmp_path):
    day = START + timedelta(days=2)
    path = write_truth(world, day, tmp_path)
    assert path == tmp_path / "snapshot_date=2026-01-03"
    assert {p.name for p in path.iterdir()} == {
        "models.parquet",
        "edges.parquet",
        "changes.parquet",
        "legacy_ids.parquet",
        "truth.json",
    }
    back = load_truth(path)
    # today's era lists every model under its current id and lacks no field
    assert back.era == "2026" and back.absent_fields == () and back.legacy_ids.height == 0
    again = compute_truth(world, day)
    assert back.snapshot_date == day
    for name in ("models", "edges", "changes"):
        assert getattr(back, name).equals(getattr(again, name)), name
    assert back.aggregates == json.loads(json.dumps(again.aggregates))
    assert json.loads((path / "truth.json").read_text())["config"]["seed"] == 11


def test_truth_agrees_with_the_items(world):
    """Counts in the truth match what an independent pass over the rendered items finds."""
    day = START + timedelta(days=1)
    truth = compute_truth(world, day)
    items = list(world.state(day).iter_items())
    m = truth.models
    assert m.height == len(items) == truth.aggregates["models_total"]
    assert m["hub_id"].to_list() == [it["_id"] for it in items]
    assert m["model_id"].to_list() == [it["id"] for it in items]
    agg = truth.aggregates
    assert sum(agg["by_relation"].values()) == m.height
    assert sum(agg["by_license_category"].values()) == m.height
    assert agg["declares_base"] == m.filter(pl.col("parents").list.len() > 0).height
    # every parent a model's truth lists as public shows up among its tags (tags carry canonical
    # ids) unless every declared ref to it is one the Hub cannot resolve
    edges = truth.edges
    tagged = edges.filter(pl.col("in_tags"))
    by_id = {it["id"]: it for it in items}
    for row in tagged.iter_rows(named=True):
        assert f"base_model:{row['target_id']}" in by_id[row["child_id"]]["tags"]
    # foundations are roots of their own families at depth 0, or children of another foundation
    llama = m.filter(pl.col("model_id") == "meta-llama/Llama-3.1-8B-Instruct").row(0, named=True)
    assert llama["parents"] == ["meta-llama/Llama-3.1-8B"] and llama["roots"] == [
        "meta-llama/Llama-3.1-8B"
    ]
    assert llama["depth"] == 1 and llama["license_id"] == "llama3.1"
    assert llama["license_category"] == "community-restricted"


def test_depth_and_roots_follow_parents(world):
    truth = compute_truth(world, START)
    m = truth.models
    depth = dict(zip(m["hub_id"], m["depth"], strict=True))
    roots = dict(zip(m["hub_id"], m["root_hub_ids"], strict=True))
    for row in m.filter(pl.col("parents").list.len() > 0).iter_rows(named=True):
        public_parents = [p for p in row["parent_hub_ids"] if p in depth]
        if public_parents:
            assert row["depth"] >= 1 + max(depth[p] for p in public_parents)
            assert set(roots[public_parents[0]]) <= set(row["root_hub_ids"])
    orphans = m.filter(pl.col("parents").list.len() == 0)
    assert (orphans["depth"] == 0).all()
    assert orphans["roots"].to_list() == [[x] for x in orphans["model_id"]]


def test_load_truth_refuses_other_directories(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_truth(tmp_path)
    (tmp_path / "truth.json").write_text(json.dumps({"truth_version": 99}))
    with pytest.raises(ValueError):
        load_truth(tmp_path)
