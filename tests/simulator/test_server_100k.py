"""The real huggingface_hub client pages through a whole 100,000-model simulated day over
loopback, with and without injected faults (slow: about two minutes a crawl on 2 cores)."""

from __future__ import annotations

from datetime import date

import pytest
from huggingface_hub import HfApi

from pipeline.simulator.faults import FaultConfig
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.world import World, WorldConfig
from tests.simulator.test_server import no_hf_sleep  # noqa: F401  (fixture)

DAY = date(2026, 1, 1)


@pytest.fixture(scope="module")
def state():
    return World(WorldConfig(seed=4, start_date=DAY, n_models=100_000)).state(DAY)


def _truth(state) -> set[str]:
    return {item["id"] for item in state.iter_items()}


@pytest.mark.slow
@pytest.mark.parametrize("rate", [0.0, 0.1])
def test_hfapi_lists_every_model_of_a_100k_day(state, rate, no_hf_sleep):  # noqa: F811
    faults = FaultConfig(
        rate_429=rate / 4, rate_5xx=rate / 4, rate_truncate=rate / 4, rate_drop=rate / 4, seed=9
    )
    with SimulatedHub(state, faults=faults) as hub:
        ids = [m.id for m in HfApi(endpoint=hub.url).list_models(expand=["createdAt"])]
        log = list(hub.request_log)
    assert len(ids) == len(set(ids)) == len(state) == 100_000
    assert set(ids) == _truth(state)
    faulted = [r for r in log if r.fault != "none"]
    assert (len(faulted) > 0) == (rate > 0)
