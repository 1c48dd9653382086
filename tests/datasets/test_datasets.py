"""Datasets as entities, against the simulator's ground truth (pipeline/simulator/datasets.py).

Two simulated days are crawled over loopback HTTP (models and datasets, through the crawl
machinery and huggingface_hub's session) and built with build_day; the second day follows the
rename of a declared dataset, which only the first day's listing ties to its old id.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import polars as pl
import pytest
from huggingface_hub import HfApi

from pipeline.daily import build_day
from pipeline.hub.crawl import crawl_datasets, crawl_models
from pipeline.paths import Layout
from pipeline.simulator.datasets import OPEN_CATEGORIES, dataset_state
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.world import World, WorldConfig

D0 = date(2026, 1, 1)
D1 = D0 + timedelta(days=1)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    layout = Layout(tmp_path_factory.mktemp("root"))
    world = World(WorldConfig(seed=11, start_date=D0, n_models=600))
    states = {}
    for day in (D0, D1):
        state = world.state(day)
        states[day] = state
        with SimulatedHub(state) as hub:
            crawl_models(hub.url, layout.raw_models(day), day, page_size=200)
            # small pages: the cursor paging of /api/datasets is exercised too
            manifest = crawl_datasets(hub.url, layout.raw_datasets(day), day, page_size=7)
            assert manifest.kind == "datasets" and manifest.pages > 1
        with duckdb.connect() as conn:
            build_day(layout, day, conn)
    return layout, states


def _read(layout: Layout, table: str, day: date) -> pl.DataFrame:
    return pl.read_parquet(layout.table_partition(table, day))


@pytest.mark.parametrize("day", [D0, D1])
def test_dataset_rows_equal_truth(built, day):
    layout, states = built
    truth = dataset_state(states[day]).truth()
    got = _read(layout, "datasets", day).sort("dataset_id")
    columns = ["dataset_id", "hub_id", "license_id", "license_category", "gated"]
    columns += ["downloads", "likes"]
    assert got.select(columns).to_dicts() == truth.select(columns).to_dicts()
    # the private dataset leaked into the listing is never published
    assert "conll2003" not in got["dataset_id"].to_list()


def _declared_truth(states, day) -> pl.DataFrame:
    """(model_id, declared, status, is_open) from the rendered cards and the dataset truth."""
    datasets = dataset_state(states[day])
    rows = []
    for item in states[day].iter_items():
        card = item.get("cardData") or {}
        names = card.get("datasets") if isinstance(card.get("datasets"), list) else []
        names = [n for n in names if isinstance(n, str)]
        names += [t[8:] for t in item.get("tags") or [] if t.startswith("dataset:")]
        seen = set()
        for name in names:
            name = name.strip()
            if not name or name.lower() in seen:
                continue
            seen.add(name.lower())
            status, is_open = datasets.declared_status(name)
            rows.append(
                {"model_id": item["id"], "declared": name, "status": status, "is_open": is_open}
            )
    return pl.DataFrame(rows).sort("model_id", "declared")


@pytest.mark.parametrize("day", [D0, D1])
def test_model_dataset_statuses_equal_truth(built, day):
    layout, states = built
    truth = _declared_truth(states, day)
    got = _read(layout, "model_datasets", day).select(truth.columns).sort("model_id", "declared")
    assert got.to_dicts() == truth.to_dicts()
    statuses = set(got["status"])
    expected = {"resolved", "gated", "missing", "external"} | ({"renamed"} if day == D1 else set())
    assert statuses == expected


def test_open_data_models_are_exactly_truths(built):
    layout, states = built
    for day in (D0, D1):
        truth = _declared_truth(states, day)
        by_model = truth.group_by("model_id").agg(
            pl.col("status")
            .is_in(["resolved", "renamed"])
            .and_(pl.col("is_open"))
            .all()
            .alias("all_hub_open"),
            (
                pl.col("status").is_in(["resolved", "renamed"]).and_(pl.col("is_open"))
                | (pl.col("status") == "external")
            )
            .all()
            .alias("open_or_external"),
        )
        own = _read(layout, "model_licenses", day)
        # the tiers below open_data do not depend on datasets: open_source is the model's own
        # evidence, and truth then decides open_data from the declared datasets alone
        eligible = own.filter(pl.col("openness_tier").is_in(["open_source", "open_data"]))
        joined = eligible.join(by_model, on="model_id", how="left")
        expect_open = {
            r["model_id"]: "hub_datasets_open" if r["all_hub_open"] else "external_documented"
            for r in joined.iter_rows(named=True)
            if r["open_or_external"]
        }
        got_open = {
            r["model_id"]: r["open_data_basis"]
            for r in own.filter(pl.col("openness_tier") == "open_data").iter_rows(named=True)
        }
        assert got_open == expect_open
        assert got_open, "the simulated day has open_data models"
        # the published models table (tiers capped by ancestors) never grants open_data beyond
        models = _read(layout, "models", day).filter(pl.col("openness_tier") == "open_data")
        assert set(models["model_id"]) <= set(got_open)


def test_open_license_categories_match_the_reference(built):
    layout, _ = built
    got = _read(layout, "datasets", D1)
    open_rows = got.filter(pl.col("license_grant") == "open")
    assert set(open_rows["license_category"]) <= OPEN_CATEGORIES


def test_listing_through_the_real_client():
    """HfApi.list_datasets pages the simulated /api/datasets over loopback HTTP."""
    world = World(WorldConfig(seed=11, start_date=D0, n_models=50))
    state = world.state(D1)
    truth = dataset_state(state)
    with SimulatedHub(state, max_limit=5) as hub:
        listed = list(
            HfApi(endpoint=hub.url).list_datasets(expand=["gated", "private", "cardData"])
        )
        paths = {r.path for r in hub.request_log}
    assert paths == {"/api/datasets"}
    assert len(listed) == len(truth)
    public = {d.id for d in listed if not d.private}
    assert public == set(truth.truth()["dataset_id"])
    gated = {d.id for d in listed if d.gated}
    assert gated == {"mozilla-foundation/common_voice_11_0"}


def test_day_without_dataset_listing_grants_no_open_data(tmp_path):
    """A replayed model listing without datasets: every declared dataset `unchecked`, no
    `datasets` rows, and no model at open_data."""
    layout = Layout(tmp_path)
    world = World(WorldConfig(seed=11, start_date=D0, n_models=300))
    with SimulatedHub(world.state(D0)) as hub:
        crawl_models(hub.url, layout.raw_models(D0), D0, page_size=300)
    with duckdb.connect() as conn:
        build_day(layout, D0, conn)
    assert not layout.table_partition("datasets", D0).exists()
    md = _read(layout, "model_datasets", D0)
    assert md.height > 0 and set(md["status"]) == {"unchecked"}
    assert "open_data" not in set(_read(layout, "model_licenses", D0)["openness_tier"])


def test_timestamps_are_utc_whatever_the_session_time_zone(built):
    """DuckDB's session time zone is the machine's: a dataset's `createdAt` cast to a zoned
    timestamp and back was shifted by it (10:00Z read as 05:00 in New York). Truth: the raw
    listing's own strings, parsed by Python. Models are checked the same way."""
    import gzip
    import json
    from datetime import datetime

    from pipeline.datasets import build_datasets
    from pipeline.staging import stage_models

    layout, _ = built

    def utc(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)

    def raw_times(folder) -> dict[str, tuple]:
        times = {}
        for page in sorted(folder.glob("page-*.jsonl.gz")):
            with gzip.open(page, "rt", encoding="utf-8") as lines:
                for item in map(json.loads, lines):
                    times[item["id"]] = (utc(item["createdAt"]), utc(item["lastModified"]))
        return times

    with duckdb.connect() as conn:
        conn.execute("set TimeZone = 'America/New_York'")
        build_datasets(layout, D0, conn)
        stage_models(layout, D0, conn)
    for table, key, folder in (
        ("datasets", "dataset_id", layout.raw_datasets(D0)),
        ("models_staged", "model_id", layout.raw_models(D0)),
    ):
        truth = raw_times(folder)
        got = _read(layout, table, D0).select(key, "created_at", "last_modified").rows()
        assert len(got) > 10, table
        assert all(truth[k] == (c, m) for k, c, m in got), table
