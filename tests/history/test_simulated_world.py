"""Thirty days of the simulated Hub: history's counts against the simulator's ground truth.

The `models` partitions are derived here from the simulator's truth frames (identity, licence,
parents, relation, roots) and its rendered items (counters, task, library, private flag), standing
in for the staging → licences → lineage → models chain; the end-to-end version runs that chain.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import polars as pl
import pytest

from pipeline.history import as_of, build_history
from pipeline.paths import Layout
from pipeline.simulator.truth import compute_truth
from tests.history.conftest import BUSY_SIMULATOR_RATES, MODELS_SCHEMA

world_module = pytest.importorskip("pipeline.simulator.world")

START = date(2025, 1, 1)
DAYS = 30
TRUTH_KINDS = ("added", "removed", "renamed", "license_changed", "base_changed", "gated_changed")


@dataclass
class Simulated:
    layout: Layout
    truths: dict


def _models_frame(day: date, truth, items: list[dict]) -> pl.DataFrame:
    by_id = {item["_id"]: item for item in items}
    rows = []
    for t in truth.models.iter_rows(named=True):
        item = by_id[t["hub_id"]]
        gated = item.get("gated")
        created = item.get("createdAt")
        rows.append(
            {
                "snapshot_date": day,
                "model_id": t["model_id"],
                "hub_id": t["hub_id"],
                "author": t["author"],
                "created_at": t["created_at"].replace(tzinfo=None),
                "created_at_is_placeholder": created == "2022-03-02T23:29:04.000Z",
                "downloads_30d": item.get("downloads"),
                "downloads_all_time": item.get("downloadsAllTime"),
                "likes": item.get("likes"),
                "pipeline_tag": item.get("pipeline_tag"),
                "library_name": item.get("library_name"),
                "gated": "no" if gated in (False, None) else str(gated),
                "is_private": bool(item.get("private")),
                "is_disabled": False,
                "license_id": t["license_id"],
                "license_category": t["license_category"],
                "base_models": t["parents"],
                "base_relation": t["relation"],
                "root_models": t["roots"],
                "lineage_depth": t["depth"],
                "family": t["roots"][0] if t["roots"] else t["model_id"],
            }
        )
    return pl.DataFrame(rows, schema=MODELS_SCHEMA)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Simulated:
    world = world_module.World(
        world_module.WorldConfig(
            seed=11,
            start_date=START,
            n_models=300,
            **BUSY_SIMULATOR_RATES,
        )
    )
    layout = Layout(tmp_path_factory.mktemp("simulated"))
    conn = duckdb.connect()
    truths = {}
    for offset in range(DAYS):
        day = START + timedelta(days=offset)
        truth = compute_truth(world, day)
        frame = _models_frame(day, truth, list(world.state(day).iter_items()))
        path = layout.table_partition("models", day)
        path.parent.mkdir(parents=True)
        frame.write_parquet(path)
        build_history(layout, day, conn)
        truths[day] = truth
    return Simulated(layout, truths)


def _partition(layout: Layout, table: str, day: date, columns: str) -> list[tuple]:
    return duckdb.sql(
        f"select {columns} from read_parquet(?)",
        params=[str(layout.table_partition(table, day))],
    ).fetchall()


def test_every_change_is_the_simulators_change(simulated: Simulated):
    seen = Counter()
    for day, truth in simulated.truths.items():
        got = _partition(
            simulated.layout, "model_changes", day, "hub_id, change, old_value, new_value"
        )
        if day == START:
            assert {c for _, c, _, _ in got} == {"baseline"}
            assert len(got) == truth.aggregates["models_total"]
            continue
        assert Counter(c for _, c, _, _ in got) == Counter(truth.aggregates["by_change"]), day
        want = {(r["hub_id"], r["change"]) for r in truth.changes.iter_rows(named=True)}
        assert {(h, c) for h, c, _, _ in got if c in TRUTH_KINDS} == want, day
        values = {
            (r["hub_id"], r["change"]): (r["old_value"], r["new_value"])
            for r in truth.changes.iter_rows(named=True)
            if r["change"] in ("renamed", "license_changed", "gated_changed")
        }
        assert {(h, c): (o, n) for h, c, o, n in got if (h, c) in values} == values, day
        seen.update(c for _, c, _, _ in got)
    assert all(seen[kind] > 0 for kind in TRUTH_KINDS), seen


def test_ecosystem_daily_equals_the_simulators_aggregates(simulated: Simulated):
    previous, checked_families = None, 0
    for day, truth in simulated.truths.items():
        agg = truth.aggregates
        rows = _partition(
            simulated.layout, "ecosystem_daily", day, "dimension, value, models, new, removed"
        )
        by_dim: dict[str, dict[str, int]] = {}
        for dim, value, models, _, _ in rows:
            if models:
                by_dim.setdefault(dim, {})[value] = models
        total = next(r for r in rows if r[0] == "all")
        changes = agg["by_change"]
        assert total[2:] == (
            agg["models_total"],
            changes.get("added", 0),
            changes.get("removed", 0),
        )
        assert by_dim["relation"] == agg["by_relation"], day
        assert by_dim["license_category"] == _none_as_label(agg["by_license_category"]), day
        assert by_dim["license_id"] == _none_as_label(agg["by_license"]), day
        assert agg["snapshot_date"] == day.isoformat()
        assert by_dim["family"] == _expected_families(truth, previous), day
        # the simulator counts a model under each of its roots, history under its first: the
        # two agree for every foundation family that no multi-root model belongs to (a family of
        # one model is in the shared row)
        multi_root = {
            root for roots in truth.models["roots"].to_list() if len(roots) > 1 for root in roots
        }
        for family, n in agg["by_family"].items():
            if family not in multi_root:
                got = by_dim["family"].get(family)
                assert got == n or (got is None and n == 1), (day, family, got, n)
        checked_families += sum(f not in multi_root for f in agg["by_family"])
        previous = truth
    assert checked_families > 0


def _family(row: dict) -> str:
    return row["roots"][0] if row["roots"] else row["model_id"]


def _expected_families(truth, previous) -> dict[str, int]:
    """Public models by family from the truth frames; families that count one model (removed
    ones included, as removals are counted under their family) share one row."""
    current = list(truth.models.iter_rows(named=True))
    present = {r["hub_id"] for r in current}
    gone = [
        r
        for r in (previous.models.iter_rows(named=True) if previous else [])
        if r["hub_id"] not in present
    ]
    members = Counter(_family(r) for r in [*current, *gone])
    return dict(
        Counter(
            _family(r) if members[_family(r)] > 1 else "(single-model families)" for r in current
        )
    )


def _none_as_label(counts: dict[str, int]) -> dict[str, int]:
    return {("(none)" if key == "None" else key): n for key, n in counts.items()}


def test_as_of_reproduces_each_simulated_day(simulated: Simulated):
    conn = duckdb.connect()
    for day, truth in simulated.truths.items():
        want = {
            (r["hub_id"], r["model_id"], r["license_id"], tuple(sorted(r["parents"])), r["gated"])
            for r in truth.models.iter_rows(named=True)
        }
        got = {
            (h, m, lic, tuple(parents), gated)
            for h, m, lic, parents, gated in as_of(simulated.layout, day, conn)
            .select("hub_id, model_id, license_id, base_models, gated")
            .fetchall()
        }
        assert got == want, day
