"""The simulated Hub over real loopback HTTP, with the real huggingface_hub client."""

from __future__ import annotations

import time
import types
from collections import Counter
from datetime import date

import httpx2
import huggingface_hub.utils._http as hf_http
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError
from huggingface_hub.utils import parse_ratelimit_headers

from pipeline.simulator.faults import FaultConfig, choose_fault
from pipeline.simulator.server import SimulatedHub
from tests.hub.fakehub import fake_state, make_item

DAY = date(2025, 3, 1)
# The Hub's default listing keys (research note hub_api_shape.md, section 2), written out here.
HUB_DEFAULT_KEYS = {
    "_id",
    "id",
    "likes",
    "trendingScore",
    "private",
    "downloads",
    "tags",
    "pipeline_tag",
    "library_name",
    "createdAt",
    "modelId",
}


@pytest.fixture
def state():
    return fake_state(2500, DAY)


@pytest.fixture
def no_hf_sleep(monkeypatch):
    """huggingface_hub's own backoff sleeps for real (1 s, 2 s, ... and Retry-After + 1)."""
    slept: list[float] = []
    fake_time = types.SimpleNamespace(
        **{k: getattr(time, k) for k in dir(time) if not k.startswith("_")}
    )
    fake_time.sleep = slept.append
    monkeypatch.setattr(hf_http, "time", fake_time)
    return slept


def _all_pages(url: str, client: httpx2.Client) -> tuple[list[dict], list[httpx2.Response]]:
    items, responses = [], []
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.text
        responses.append(r)
        items.extend(r.json())
        url = r.links.get("next", {}).get("url")
    return items, responses


def test_hfapi_pages_through_whole_listing(state):
    with SimulatedHub(state, max_limit=400) as hub:
        models = list(HfApi(endpoint=hub.url).list_models())
        listing_requests = [r for r in hub.request_log if r.path == "/api/models"]
    ids = [m.id for m in models]
    assert len(ids) == len(set(ids)) == 2500
    assert set(ids) == state.ids()
    assert len(listing_requests) == 7  # ceil(2500 / 400)
    assert all("cursor=" in r.query for r in listing_requests[1:])


def test_default_item_keys_headers_and_link(state):
    with SimulatedHub(state) as hub, httpx2.Client() as client:
        r = client.get(f"{hub.url}/api/models", params={"limit": 3})
    assert r.headers["X-Total-Count"] == "2500"
    assert r.headers["X-Simulated-Date"] == "2025-03-01"
    items = r.json()
    assert [set(i) for i in items] == [HUB_DEFAULT_KEYS] * 3
    next_url = r.links["next"]["url"]
    assert next_url.startswith(f"{hub.url}/api/models?")
    assert "limit=3" in next_url and "cursor=" in next_url
    # Listing order is by _id: the first three models of the fake state.
    assert [i["id"] for i in items] == [make_item(n, DAY)["id"] for n in (1, 2, 3)]


def test_limit_is_capped_at_1000():
    with SimulatedHub(fake_state(1200, DAY)) as hub, httpx2.Client() as client:
        r = client.get(f"{hub.url}/api/models", params={"limit": 5000})
        assert len(r.json()) == 1000
        r = client.get(f"{hub.url}/api/models")
        assert len(r.json()) == 1000


def test_expand_returns_only_requested_keys(state):
    with SimulatedHub(state) as hub, httpx2.Client() as client:
        r = client.get(
            f"{hub.url}/api/models?limit=20&expand=author&expand[]=downloadsAllTime&expand=gguf"
        )
        items = r.json()
        infos = list(HfApi(endpoint=hub.url).list_models(expand=["likes"], limit=5))
        refused = client.get(f"{hub.url}/api/models", params={"expand": "baseModels"})
        mixed = client.get(f"{hub.url}/api/models", params={"expand": "likes", "full": "true"})
    for item in items:
        n = int(item["id"].rsplit("-", 1)[-1])
        expected = {"_id", "id", "author", "downloadsAllTime"} | (
            {"gguf"} if n % 10 == 0 else set()
        )
        assert set(item) == expected
    assert any("gguf" in i for i in items)  # model 10 has a gguf key
    assert [i.likes for i in infos] == [make_item(n, DAY)["likes"] for n in range(1, 6)]
    assert all(i.downloads is None and i.tags is None for i in infos)
    # baseModels is refused by the listing endpoint (accepted by model info only).
    assert refused.status_code == 400 and "baseModels" in refused.json()["error"]
    assert mixed.status_code == 400


def test_full_carddata_and_config(state):
    with SimulatedHub(state) as hub, httpx2.Client() as client:
        full = client.get(f"{hub.url}/api/models?limit=2&full=true").json()
        card = client.get(f"{hub.url}/api/models?limit=2&cardData=true").json()
        conf = client.get(f"{hub.url}/api/models?limit=2&full=true&config=true").json()
    assert {"sha", "siblings", "lastModified", "author", "gated"} <= set(full[0])
    assert "cardData" not in full[0] and "config" not in full[0]
    assert set(card[0]) == HUB_DEFAULT_KEYS | {"cardData"}
    assert card[0]["cardData"] == make_item(1, DAY)["cardData"]
    assert conf[0]["config"] == {"model_type": "llama"}


@pytest.mark.parametrize("sort", ["likes", "downloads", "trendingScore", "createdAt", "id"])
def test_sort_and_direction_page_through_in_order(sort):
    small = fake_state(300, DAY)
    with SimulatedHub(small) as hub, httpx2.Client() as client:
        desc, _ = _all_pages(
            f"{hub.url}/api/models?limit=70&sort={sort}&direction=-1&full=1", client
        )
        asc, _ = _all_pages(f"{hub.url}/api/models?limit=70&sort={sort}", client)
    truth = [make_item(n, DAY) for n in range(1, 301)]
    expected = [i["_id"] for i in sorted(truth, key=lambda i: (i[sort], i["_id"]), reverse=True)]
    assert [i["_id"] for i in desc] == expected
    assert [i["_id"] for i in asc] == expected[::-1]


def test_author_search_and_filters(state):
    truth = [make_item(n, DAY) for n in range(1, 2501)]
    parent = make_item(4, DAY)["id"]
    with SimulatedHub(state, max_limit=300) as hub, httpx2.Client() as client:
        by_author, _ = _all_pages(f"{hub.url}/api/models?author=ORG3", client)
        by_search, _ = _all_pages(f"{hub.url}/api/models?search=MODEL-0001", client)
        both, responses = _all_pages(
            f"{hub.url}/api/models?filter=diffusers&filter=license:mit", client
        )
        children, _ = _all_pages(
            f"{hub.url}/api/models?filter=base_model:finetune:{parent}", client
        )
    assert {i["id"] for i in by_author} == {i["id"] for i in truth if i["id"].startswith("org3/")}
    assert {i["id"] for i in by_search} == {
        i["id"] for i in truth if "model-0001" in i["id"].lower()
    }
    expected_both = {
        i["id"] for i in truth if "diffusers" in i["tags"] and "license:mit" in i["tags"]
    }
    assert {i["id"] for i in both} == expected_both and len(both) == len(expected_both)
    assert responses[0].headers["X-Total-Count"] == str(len(expected_both))
    assert [i["id"] for i in children] == [make_item(5, DAY)["id"]]


def test_model_info_redirect_and_not_found(state):
    new_day = state.next_day(deleted=set(), created=0, renamed={7: "neworg/renamed-seven"})
    old_id = make_item(7, DAY)["id"]
    with SimulatedHub(new_day) as hub, httpx2.Client(follow_redirects=False) as client:
        api = HfApi(endpoint=hub.url)
        info = api.model_info("org1/model-000008")
        followed = api.model_info(old_id)
        raw = client.get(f"{hub.url}/api/models/{old_id}", params={"expand": "likes"})
        expanded = client.get(
            f"{hub.url}/api/models/org1/model-000008?expand=baseModels&expand=likes"
        )
        with pytest.raises(RepositoryNotFoundError):
            api.model_info("nobody/nothing")
        missing = client.get(f"{hub.url}/api/models/nobody/nothing")
    assert info.id == "org1/model-000008"
    assert info.safetensors.total == make_item(8, DAY)["safetensors"]["total"]
    assert followed.id == "neworg/renamed-seven"
    assert followed.likes == make_item(7, DAY)["likes"]  # same repo, same _id
    assert raw.status_code == 307
    assert raw.headers["Location"] == "/api/models/neworg/renamed-seven?expand=likes"
    assert raw.headers["Content-Type"].startswith("text/plain")
    assert (
        raw.text
        == "Temporary Redirect. Redirecting to /api/models/neworg/renamed-seven?expand=likes"
    )
    assert set(expanded.json()) == {"_id", "id", "likes"}  # baseModels accepted; absent here
    assert missing.status_code == 404 and missing.json() == {"error": "Repository not found"}


def test_cursor_survives_swap_to_next_day(state):
    """Paging goes on after the same `_id` on the new day: nothing on both days lost or doubled."""
    day2 = state.next_day(deleted={5, 900, 1500, 2400}, created=300, renamed={1200: "x/renamed"})
    with SimulatedHub(state, max_limit=500) as hub, httpx2.Client() as client:
        r = client.get(f"{hub.url}/api/models?expand=likes")
        items = r.json()
        url = r.links["next"]["url"]
        hub.set_state(day2)
        rest, responses = _all_pages(url, client)
    items += rest
    hub_ids = [i["_id"] for i in items]
    assert len(hub_ids) == len(set(hub_ids))
    assert state.hub_ids() & day2.hub_ids() <= set(hub_ids)
    assert set(hub_ids) <= state.hub_ids() | day2.hub_ids()
    assert responses[0].headers["X-Simulated-Date"] == "2025-03-02"
    # Models created on day 2 are listed; 900, 1500 and 2400 (after the cursor) are gone.
    assert len(hub_ids) == 2500 - 3 + 300


def test_fault_choice_is_deterministic_and_near_its_rates():
    config = FaultConfig(rate_429=0.1, rate_5xx=0.1, rate_drop=0.05, seed=7)
    first = [choose_fault(config, n) for n in range(1, 5001)]
    assert first == [choose_fault(config, n) for n in range(1, 5001)]
    counts = Counter(d.fault.value for d in first)
    assert 400 < counts["429"] < 600 and 400 < counts["5xx"] < 600 and 180 < counts["drop"] < 320
    assert {d.status for d in first if d.fault.value == "5xx"} == {500, 502, 503, 504}
    with pytest.raises(ValueError):
        FaultConfig(rate_429=0.7, rate_5xx=0.5)


def test_each_fault_as_the_client_sees_it(state):
    def hub_with(**rates):
        return SimulatedHub(state, faults=FaultConfig(**rates, retry_after_seconds=9))

    url = "/api/models?limit=50"
    with hub_with(rate_429=1.0) as hub, httpx2.Client() as client:
        r = client.get(hub.url + url)
        info = parse_ratelimit_headers(r.headers)
        assert r.status_code == 429 and r.headers["Retry-After"] == "9"
        assert (info.remaining, info.reset_in_seconds, info.limit, info.window_seconds) == (
            0,
            9,
            1000,
            300,
        )
        # Faults hit the API routes only.
        assert client.get(hub.url + "/elsewhere").status_code == 404
    with hub_with(rate_5xx=1.0) as hub, httpx2.Client() as client:
        assert client.get(hub.url + url).status_code in (500, 502, 503, 504)
    with hub_with(rate_drop=1.0) as hub, httpx2.Client() as client:
        with pytest.raises(httpx2.RemoteProtocolError):
            client.get(hub.url + url)
        assert hub.request_log[-1].status is None and hub.request_log[-1].fault == "drop"
    with hub_with(rate_truncate=1.0) as hub, httpx2.Client() as client:
        with pytest.raises(httpx2.RemoteProtocolError), client.stream("GET", hub.url + url) as r:
            declared = int(r.headers["Content-Length"])
            r.read()
        assert 0 < hub.request_log[-1].bytes < declared
    with SimulatedHub(state, faults=FaultConfig(rate_slow=1.0, slow_seconds=0.3)) as hub:
        started = time.monotonic()
        assert len(httpx2.get(hub.url + url).json()) == 50
        assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_hfapi_listing_under_faults(state, no_hf_sleep, rate):
    """What huggingface_hub's own retries make of faults: with 5 retries per request it gets
    through these seeded runs; our crawler does not depend on it."""
    faults = FaultConfig(
        rate_429=rate / 4, rate_5xx=rate / 4, rate_truncate=rate / 4, rate_drop=rate / 4, seed=3
    )
    with SimulatedHub(state, faults=faults, max_limit=100) as hub:
        models = list(HfApi(endpoint=hub.url).list_models())
        log = list(hub.request_log)
    ids = [m.id for m in models]
    assert len(ids) == len(set(ids)) and set(ids) == state.ids()
    faulted = [r for r in log if r.fault != "none"]
    assert faulted  # the run did meet faults
    assert len(no_hf_sleep) == len(faulted)  # one backoff sleep per failed request
    assert len(log) - len(faulted) == 25  # the 25 pages of 100


def test_hfapi_model_info_does_not_retry(state):
    with SimulatedHub(state, faults=FaultConfig(rate_5xx=1.0)) as hub:
        with pytest.raises(HfHubHTTPError):
            HfApi(endpoint=hub.url).model_info("org1/model-000001")
        assert len(hub.request_log) == 1


def test_request_log_records_authorization_without_the_token(state):
    with SimulatedHub(state) as hub:
        list(HfApi(endpoint=hub.url, token="hf_notarealtoken123").list_models(limit=3))
    assert hub.request_log[0].authorized is True
    assert "hf_notarealtoken123" not in repr(hub.request_log)


def test_main_serve_prints_url_serves_the_world_and_stops_on_ctrl_c():
    import signal
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("pipeline.simulator.world")
    script = (
        "from datetime import date\n"
        "from pipeline.simulator.server import main_serve\n"
        "main_serve(0, 200, 1, date(2025, 3, 1))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=repo, stdout=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        url = line.rsplit(" at ", 1)[1].strip()
        r = httpx2.get(f"{url}/api/models", params={"limit": 5})
        assert r.status_code == 200 and len(r.json()) == 5
        assert r.headers["X-Simulated-Date"] == "2025-03-01"
        assert "2025-03-01" in line
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    assert proc.returncode == 0
