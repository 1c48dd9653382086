"""Every stage in sequence, day after day, against the simulator's ground truth.

The Dagster job runs these same plain functions; here they are called directly so that many days
fit in the default test run. The listing of each day goes through the real crawl over HTTP.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import duckdb
import pytest

from pipeline.daily import build_day
from pipeline.hub.crawl import crawl_models
from pipeline.paths import Layout
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.truth import compute_truth
from pipeline.simulator.world import World, WorldConfig
from tests.history.conftest import BUSY_SIMULATOR_RATES

START = date(2026, 2, 1)
EXACT_KINDS = ("added", "removed", "renamed", "gated_changed", "base_changed")


def _run(days: int, n_models: int, tmp_path) -> tuple[Layout, dict]:
    world = World(
        WorldConfig(
            seed=5,
            start_date=START,
            n_models=n_models,
            **BUSY_SIMULATOR_RATES,
        )
    )
    layout = Layout(tmp_path)
    truths = {}
    with SimulatedHub(world.state(START)) as hub, duckdb.connect() as conn:
        for offset in range(days):
            day = START + timedelta(days=offset)
            hub.set_state(world.state(day))
            crawl_models(hub.url, layout.raw_models(day), day)
            build_day(layout, day, conn)
            truths[day] = compute_truth(world, day)
    return layout, truths


def _changes(layout: Layout, day: date) -> list[tuple[str, str]]:
    return duckdb.sql(
        "select hub_id, change from read_parquet(?)",
        params=[str(layout.table_partition("model_changes", day))],
    ).fetchall()


def _check(layout: Layout, truths: dict) -> Counter:
    seen: Counter = Counter()
    for day, truth in truths.items():
        got = _changes(layout, day)
        if day == START:
            assert {c for _, c in got} == {"baseline"}
            continue
        want = {(r["hub_id"], r["change"]) for r in truth.changes.iter_rows(named=True)}
        for kind in EXACT_KINDS:
            assert {h for h, c in got if c == kind} == {h for h, c in want if c == kind}, (
                day,
                kind,
            )
        # A license change is seen through the normaliser: the truth's changes must all be
        # found; a change the truth does not know would be a false alarm.
        got_license = {h for h, c in got if c == "license_changed"}
        want_license = {h for h, c in want if c == "license_changed"}
        assert got_license == want_license, (day, got_license ^ want_license)
        assert Counter(c for _, c in got) == Counter(truth.aggregates["by_change"]), day
        # the ecosystem's totals: public models, additions and removals of the day
        total = duckdb.sql(
            "select models, new, removed from read_parquet(?) where dimension = 'all'",
            params=[str(layout.table_partition("ecosystem_daily", day))],
        ).fetchall()
        by_change = truth.aggregates["by_change"]
        assert total == [
            (
                truth.aggregates["models_total"],
                by_change.get("added", 0),
                by_change.get("removed", 0),
            )
        ], day
        seen.update(c for _, c in got)
    return seen


def test_six_days_through_every_stage(tmp_path):
    layout, truths = _run(6, 800, tmp_path)
    seen = _check(layout, truths)
    assert seen["added"] > 0 and seen["removed"] > 0, seen


@pytest.mark.slow
def test_thirty_days_through_every_stage(tmp_path):
    layout, truths = _run(30, 3000, tmp_path)
    seen = _check(layout, truths)
    assert all(seen[k] > 0 for k in (*EXACT_KINDS, "license_changed")), seen
