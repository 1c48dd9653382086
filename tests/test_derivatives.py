"""Derivatives, family downloads over a window and the reconciliation, against the simulator's
ground truth.

Three simulated days (D0, D0+7, D0+30) go through every stage; the expected figures are computed
here from the truth frames and the rendered items alone (true parents, their relations, the
all-time counters), never from the pipeline's own tables.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipeline.daily import build_day
from pipeline.defs.derivatives import derivatives
from pipeline.hub.crawl import crawl_models
from pipeline.paths import Layout
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.truth import compute_truth
from pipeline.simulator.world import World, WorldConfig
from tests.lineage.conftest import write_raw_snapshot
from tests.lineage.test_simulator import is_recoverable

D0 = date(2026, 3, 1)
DAYS = (D0, D0 + timedelta(days=7), D0 + timedelta(days=30))
SINGLE = "(single-model families)"


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, Layout]:
    world = World(WorldConfig(seed=11, start_date=D0, n_models=2_000))
    layout = Layout(tmp_path_factory.mktemp("derivs"))
    with duckdb.connect() as conn:
        for day in DAYS:
            write_raw_snapshot(layout, day, world.state(day).iter_items())
            # build_day ends with the derivatives and the reconciliation
            build_day(layout, day, conn)
    return world, layout


def _truth_graph(world: World, day: date) -> tuple[dict, dict, dict]:
    """From the truth: each public model's recoverable true parents (what a reader of the listing
    can know; tests/lineage/test_simulator.py), with the relation the world gave the child."""
    truth = compute_truth(world, day)
    public = set(truth.models["model_id"])
    edges = truth.edges.filter(is_recoverable(truth.edges) & pl.col("target_public"))
    parents: dict[str, set[str]] = defaultdict(set)
    relation: dict[str, str] = {}
    for child, target, rel in edges.select("child_id", "target_id", "relation").iter_rows():
        if child in public and target in public and child != target:
            parents[child].add(target)
            relation[child] = rel
    # A model that also names its child closes a cycle, which is no edge; once the child has
    # changed its base the claim closes nothing, and the Hub (tagging it) counts it like any other.
    claims = truth.edges.filter((pl.col("ref_kind") == "cycle") & pl.col("target_public"))
    for child, target, rel in claims.select("child_id", "target_id", "relation").iter_rows():
        if child in public and target in public and child not in parents.get(target, ()):
            parents[child].add(target)
            relation.setdefault(child, rel)
    return truth, parents, relation


def _ancestors(parents: dict[str, set[str]]) -> dict[str, set[str]]:
    memo: dict[str, set[str]] = {}

    def walk(model: str) -> set[str]:
        if model not in memo:
            memo[model] = set()  # true parents form no cycle; this only guards the recursion
            found: set[str] = set()
            for p in parents.get(model, ()):
                found |= {p} | walk(p)
            memo[model] = found
        return memo[model]

    return {m: walk(m) for m in list(parents)}


def _expected_derivatives(world: World, day: date) -> Counter:
    truth, parents, relation = _truth_graph(world, day)
    org = {m: m.split("/")[0] for m in truth.models["model_id"]}
    ancestors = _ancestors(parents)
    members: dict[tuple, set[str]] = defaultdict(set)
    for depth, bases_of in (("direct", parents), ("transitive", ancestors)):
        for child, bases in bases_of.items():
            for base in bases:
                for rel in (relation[child], "all"):
                    members["model", base, depth, rel].add(child)
                    members["organization", org[base], depth, rel].add(child)
    return Counter({key: len(children) for key, children in members.items()})


@pytest.mark.parametrize("day", DAYS)
def test_derivatives_equal_truth(series: tuple[World, Layout], day: date) -> None:
    world, layout = series
    got = pl.read_parquet(layout.table_partition("derivatives_daily", day))
    assert set(got["snapshot_date"]) == {day}
    table = Counter(
        {
            (lvl, base, depth, rel): n
            for lvl, base, depth, rel, n in got.select(
                "level", "base", "depth", "relation", "derivatives"
            ).iter_rows()
        }
    )
    want = _expected_derivatives(world, day)
    assert len(want) > 100
    # every relation appears, merges included, direct and transitive
    for depth in ("direct", "transitive"):
        assert {k[3] for k in want if k[2] == depth} >= {
            "finetune",
            "adapter",
            "quantized",
            "merge",
            "all",
        }
    diff = {k: (table.get(k), want.get(k)) for k in set(table) | set(want) if table[k] != want[k]}
    assert not diff, sorted(diff.items())[:20]


def _families(world: World, day: date) -> dict[str, str]:
    """Each public model's family from the truth: of its roots (over recoverable true parents),
    the one with the most descendants, ties to the smallest id; a family of one model is folded
    into `(single-model families)`."""
    truth, parents, _ = _truth_graph(world, day)
    ancestors = _ancestors(parents)
    models = list(truth.models["model_id"])
    roots = {m: {a for a in ancestors.get(m, ()) if not parents.get(a)} or {m} for m in models}
    descendants = Counter(a for m in models for a in ancestors.get(m, ()))
    family = {m: min(rs, key=lambda r: (-descendants[r], r)) for m, rs in roots.items()}
    size = Counter(family.values())
    return {m: f if size[f] > 1 else SINGLE for m, f in family.items()}


def _is_quantized_or_gguf(item: dict, relation: str | None) -> bool:
    files = [s.get("rfilename", "") for s in item.get("siblings") or []]
    return (
        relation == "quantized"
        or item.get("gguf") is not None
        or "gguf" in (item.get("tags") or [])
        or any(f.lower().endswith(".gguf") for f in files)
    )


@pytest.mark.parametrize("day", DAYS[1:])
def test_window_downloads_equal_truth_deltas(series: tuple[World, Layout], day: date) -> None:
    world, layout = series
    truth = compute_truth(world, day)
    family = _families(world, day)
    relation = dict(zip(truth.models["model_id"], truth.models["relation"], strict=True))
    items = {i["_id"]: i for i in world.state(day).iter_items()}
    got = pl.read_parquet(layout.table_partition("family_downloads_window", day))
    for window in (7, 30):
        earlier = day - timedelta(days=window)
        rows = got.filter(pl.col("window_days") == window)
        if earlier not in DAYS:
            # no snapshot N days before: downloads unknown, never 0
            assert rows.height > 0
            assert rows["downloads"].null_count() == rows.height
            assert rows["earlier_snapshot_date"].null_count() == rows.height
            continue
        before = {i["_id"]: i["downloadsAllTime"] for i in world.state(earlier).iter_items()}
        want_dl: Counter = Counter()
        want_models: Counter = Counter()
        want_added: Counter = Counter()
        for hub_id, item in items.items():
            key = (
                family[item["id"]],
                "quantized_or_gguf"
                if _is_quantized_or_gguf(item, relation[item["id"]])
                else "other",
            )
            want_models[key] += 1
            if hub_id in before:
                want_dl[key] += item["downloadsAllTime"] - before[hub_id]
            else:
                want_added[key] += 1
        table = {
            (f, g): (m, d, a)
            for f, g, m, d, a in rows.select(
                "family", "model_group", "models", "downloads", "models_added"
            ).iter_rows()
        }
        assert set(rows["earlier_snapshot_date"]) == {earlier}
        want = {k: (want_models[k], want_dl.get(k), want_added[k]) for k in want_models}
        # a group whose models are all new has no delta to sum: null, not 0
        want = {k: (m, d if m > a else None, a) for k, (m, d, a) in want.items()}
        assert sum(1 for _, g in want if g == "quantized_or_gguf") > 0
        assert table == want


def test_reconciliation_over_http(tmp_path: Path) -> None:
    """The crawl records the Hub's own total; staged + quarantined = listed; gating = truth."""
    world = World(WorldConfig(seed=3, start_date=D0, n_models=1_500))
    layout = Layout(tmp_path)
    truth = compute_truth(world, D0)
    with SimulatedHub(world.state(D0)) as hub, duckdb.connect() as conn:
        crawl_models(hub.url, layout.raw_models(D0), D0)
        build_day(layout, D0, conn)
    (row,) = pl.read_parquet(layout.table_partition("reconciliation", D0)).to_dicts()
    listed = sum(1 for _ in world.state(D0).iter_items())
    gated = Counter(truth.models["gated"])
    assert row["source"] == "api"
    assert row["reported_total"] == listed
    assert row["listed"] == listed
    assert row["reported_minus_listed"] == 0
    assert row["public"] + row["quarantined"] == row["listed"] == row["staged_plus_quarantined"]
    assert row["public"] == truth.models.height
    assert (row["gated_auto"], row["gated_manual"]) == (gated["auto"], gated["manual"])
    assert row["gated"] == gated["auto"] + gated["manual"] > 0
    assert row["disabled"] == 0
    assert row["private_records_dropped"] == 0


def test_reconciliation_counts_private_and_disabled(tmp_path: Path) -> None:
    """Private records the token could see are dropped and counted; disabled models are public."""
    world = World(WorldConfig(seed=3, start_date=D0, n_models=800))
    items = list(world.state(D0).iter_items())
    disabled = {i["_id"] for i in items[:9]}
    private = []
    for n, item in enumerate(items[100:106]):
        copy = dict(item, private=True, id=f"secret-org/private-{n}")
        copy["_id"] = f"{0xFFFF0000 + n:024x}"
        private.append(copy)
    listed = [dict(i, disabled=i["_id"] in disabled) for i in items] + private
    layout = Layout(tmp_path)
    raw = write_raw_snapshot(layout, D0, listed)
    manifest = json.loads((raw / "_manifest.json").read_text())
    manifest |= {"source": "file", "model_count": len(listed), "rejected_count": 0}
    (raw / "_manifest.json").write_text(json.dumps(manifest))
    with duckdb.connect() as conn:
        build_day(layout, D0, conn)
    (row,) = pl.read_parquet(layout.table_partition("reconciliation", D0)).to_dicts()
    assert row["private_records_dropped"] == len(private) == 6
    assert row["disabled"] == len(disabled) == 9
    assert row["listed"] == len(listed)
    assert row["public"] == len(items) == compute_truth(world, D0).models.height
    assert row["quarantined"] == row["private_records_dropped"] + row["quarantined_other"]
    assert row["public"] + row["quarantined"] == row["listed"]
    assert json.loads(row["quarantine_by_reason"])["private_record"] == 6
    # no X-Total-Count in a file source: unknown, not 0
    assert row["reported_total"] is None and row["reported_minus_listed"] is None


def test_window_asset_declares_the_earlier_models_it_reads() -> None:
    """The asset reads `models` of D, D-7 and D-30: its dependency says so."""
    (spec,) = [s for s in derivatives.specs if s.key == dg.AssetKey("family_downloads_window")]
    (dep,) = spec.deps
    assert dep.asset_key == dg.AssetKey("models")
    mapping = dep.partition_mapping
    assert isinstance(mapping, dg.TimeWindowPartitionMapping)
    assert (mapping.start_offset, mapping.end_offset) == (-30, 0)
