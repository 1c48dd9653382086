"""The crawl under injected faults: at 10% and 30% of requests the simulated Hub answers 429 (with
Retry-After and RateLimit), 500/502/503/504, a truncated body, a dropped connection or a slow page.
The raw snapshot must hold exactly the models of a fault-free crawl of the same day.

Truth is twofold: the fault-free crawl's (id, _id) pairs, and the simulated world's own list of
public models; the fault counts come from the server's request log, not from the crawler."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest

from pipeline.hub import RawSnapshot, RetryPolicy, crawl_models
from pipeline.simulator.faults import FaultConfig
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.truth import compute_truth
from pipeline.simulator.world import World, WorldConfig

DAY = date(2026, 4, 1)
N_MODELS = 3_000
PAGE_SIZE = 50


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=21, start_date=DAY, n_models=N_MODELS))


def pairs(raw_dir) -> list[tuple[str, str]]:
    return [(item["id"], item["_id"]) for item in RawSnapshot(raw_dir).iter_items()]


@pytest.fixture(scope="module")
def fault_free(world, tmp_path_factory) -> list[tuple[str, str]]:
    raw = tmp_path_factory.mktemp("clean")
    with SimulatedHub(world.state(DAY)) as hub:
        crawl_models(hub.url, raw, DAY, page_size=PAGE_SIZE, retry=RetryPolicy(sleep=lambda s: 0))
        assert {r.fault for r in hub.request_log} == {"none"}
    return pairs(raw)


def test_fault_free_crawl_matches_the_world(world, fault_free):
    truth = set(compute_truth(world, DAY).models["model_id"])
    ids = [model_id for model_id, _ in fault_free]
    assert len(ids) == len(set(ids)) == len(world.state(DAY)) > 2_900
    # Models the messy listing hides from the truth's id column are none: every listed id is true.
    assert set(ids) == truth


@pytest.mark.parametrize("rate", [0.10, 0.30], ids=["10pct", "30pct"])
def test_faulty_crawl_holds_exactly_the_fault_free_models(world, fault_free, tmp_path, rate):
    faults = FaultConfig(
        rate_429=rate / 5,
        rate_5xx=rate / 5,
        rate_truncate=rate / 5,
        rate_drop=rate / 5,
        rate_slow=rate / 5,
        slow_seconds=0.05,
        retry_after_seconds=3,
        seed=int(rate * 100),
    )
    sleeps: list[float] = []
    policy = RetryPolicy(base_delay=0.001, sleep=sleeps.append, seed=1)
    with SimulatedHub(world.state(DAY), faults=faults) as hub:
        manifest = crawl_models(hub.url, tmp_path, DAY, page_size=PAGE_SIZE, retry=policy)
        log = list(hub.request_log)
    got = pairs(tmp_path)
    # Exactly the same models, each once: no loss, no duplicate, no stray item from a bad body.
    assert len(got) == len(set(got)) == len(fault_free)
    assert set(got) == set(fault_free)
    assert manifest.model_count == len(fault_free)

    injected = Counter(r.fault for r in log)
    statuses = Counter(r.status for r in log if r.fault == "5xx")
    pages = -(-len(fault_free) // PAGE_SIZE)
    # Slow pages are answered in full: one good answer per page, every other answer was retried.
    assert injected["none"] + injected["slow"] == pages
    assert manifest.retries == len(log) - pages
    faulty = len(log) - injected["none"]
    assert faulty / len(log) >= rate / 2, "the faults should be injected at about the asked rate"
    if rate >= 0.3:
        for kind in ("429", "5xx", "truncate", "drop", "slow"):
            assert injected[kind] > 0, f"no {kind} fault was injected"
    # Every 429 made the crawler wait what the server announced (3 s), through the injected sleep.
    assert sleeps.count(3.0) == injected["429"]
    print(
        "FIGURES "
        + json.dumps(
            {
                "rate": rate,
                "models": len(got),
                "pages": pages,
                "requests": len(log),
                "faulty_requests": faulty,
                "faults": {k: v for k, v in injected.items() if k != "none"},
                "5xx_statuses": {str(k): v for k, v in sorted(statuses.items())},
                "retries": manifest.retries,
                "lost": len(set(fault_free) - set(got)),
                "extra": len(set(got) - set(fault_free)),
            }
        )
    )
