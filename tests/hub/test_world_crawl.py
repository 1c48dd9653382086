"""The crawler and the server on the simulated world (pipeline.simulator.world)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx2
import pytest
from huggingface_hub import HfApi

from pipeline.hub import RawSnapshot, RetryPolicy, crawl_models
from pipeline.simulator.faults import FaultConfig
from pipeline.simulator.server import SimulatedHub

world_module = pytest.importorskip("pipeline.simulator.world")

DAY = date(2025, 3, 1)


@pytest.fixture(scope="module")
def world():
    return world_module.World(world_module.WorldConfig(seed=3, start_date=DAY, n_models=3000))


def test_crawl_of_world_day_under_faults(world, tmp_path):
    state = world.state(DAY)
    truth = {item["_id"]: item["id"] for item in state.iter_items()}
    faults = FaultConfig(rate_429=0.05, rate_5xx=0.05, rate_truncate=0.05, rate_drop=0.05, seed=9)
    with SimulatedHub(state, faults=faults) as hub:
        manifest = crawl_models(
            hub.url, tmp_path, DAY, page_size=500, retry=RetryPolicy(sleep=lambda s: None)
        )
    items = list(RawSnapshot(tmp_path).iter_items())
    assert len(items) == len(truth) == len(state) == manifest.model_count
    assert {i["_id"]: i["id"] for i in items} == truth


def test_world_day_swap_mid_crawl(world, tmp_path):
    day1, day2 = world.state(DAY), world.state(DAY + timedelta(days=1))
    ids1 = {i["_id"] for i in day1.iter_items()}
    ids2 = {i["_id"] for i in day2.iter_items()}
    with SimulatedHub(day1) as hub:

        def swap(p):
            if p.pages == 2:
                hub.set_state(day2)

        crawl_models(hub.url, tmp_path, DAY, page_size=500, progress=swap)
    crawled = [i["_id"] for i in RawSnapshot(tmp_path).iter_items()]
    assert len(crawled) == len(set(crawled))
    assert ids1 & ids2 <= set(crawled) <= ids1 | ids2


def test_world_renames_answer_307(world):
    before, after = world.state(DAY), world.state(DAY + timedelta(days=30))
    old_names = {i["_id"]: i["id"] for i in before.iter_items()}
    renamed = [
        (old_names[i["_id"]], i["id"])
        for i in after.iter_items()
        if i["_id"] in old_names and old_names[i["_id"]] != i["id"]
    ]
    assert renamed, "30 days of the world should rename some repos"
    old_id, new_id = renamed[0]
    with SimulatedHub(after) as hub, httpx2.Client(follow_redirects=False) as client:
        raw = client.get(f"{hub.url}/api/models/{old_id}")
        info = HfApi(endpoint=hub.url).model_info(old_id)
    assert raw.status_code == 307 and raw.headers["Location"] == f"/api/models/{new_id}"
    assert info.id == new_id
