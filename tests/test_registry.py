"""The Dagster graph is the table registry, and each stage reads only what the registry says.

Two simulated days run through the real daily job (real client over loopback HTTP, real DuckDB
and Parquet, an ephemeral Dagster instance) while every partition lookup under the output root
is traced and attributed to the asset function that made it.
"""

from __future__ import annotations

import sys
import threading
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

import pipeline.defs
from pipeline.cli import EXIT_OK, run_daily_job
from pipeline.contract import load_contract
from pipeline.definitions import defs
from pipeline.paths import Layout
from pipeline.registry import load_registry
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.world import World, WorldConfig

DAY1 = date(2026, 3, 1)
DAYS = (DAY1, DAY1 + timedelta(days=1), DAY1 + timedelta(days=2))
DEFS_DIR = str(Path(pipeline.defs.__file__).parent)

# What each kind of read must be declared as (see pipeline/registry.yaml's header).
EARLIER = ("previous", "all_earlier")


def _graph():
    return defs().resolve_asset_graph()


def test_asset_keys_and_ops_are_the_registry():
    registry = load_registry()
    graph = _graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == set(registry.tables)
    for name, entry in registry.tables.items():
        node = graph.get(dg.AssetKey(name))
        assert node.assets_def.node_def.name == entry.asset, name
        assert node.group_name == entry.group, name


def _expected_parents(entry) -> dict[str, tuple[int, int] | None]:
    """Parent -> (start, end) offsets of the time window read, None for the same date."""
    parents: dict[str, tuple[int, int] | None] = {}
    for read in entry.reads:
        if read.dates == "same" and read.table != entry.name:
            parents[read.table] = (0, 0)
        elif read.dates.startswith("window_"):
            parents[read.table] = (-int(read.dates.removeprefix("window_")), 0)
    if any(r.dates in EARLIER for r in entry.reads):
        # the only way Dagster orders "the newest earlier partition": its own previous day
        parents[entry.name] = (-1, -1)
    return parents


def test_deps_and_partition_mappings_are_the_registry():
    registry = load_registry()
    graph = _graph()
    for name, entry in registry.tables.items():
        key = dg.AssetKey(name)
        expected = _expected_parents(entry)
        parents = {p.to_user_string() for p in graph.get(key).parent_keys}
        assert parents == set(expected), name
        for parent, (start, end) in expected.items():
            mapping = graph.get_partition_mapping(key, dg.AssetKey(parent))
            if isinstance(mapping, dg.IdentityPartitionMapping):
                assert (start, end) == (0, 0), (name, parent)
                continue
            assert isinstance(mapping, dg.TimeWindowPartitionMapping), (name, parent, mapping)
            assert (mapping.start_offset, mapping.end_offset) == (start, end), (name, parent)


def test_tables_reading_an_earlier_date_depend_on_their_previous_day():
    """Lineage (aliases from every earlier staged day), the gates and history all read an
    earlier date: each of them must wait for its own previous day in a backfill."""
    graph = _graph()
    for name in (
        "lineage_aliases",
        "lineage_edges",
        "model_lineage",
        "model_licenses",
        "models",
        "model_changes",
        "model_counters",
        "ecosystem_daily",
        "creation_timeline",
    ):
        key = dg.AssetKey(name)
        assert key in graph.get(key).parent_keys, name


def test_checks_are_the_registry():
    registry = load_registry()
    expected = {(n, c) for n, t in registry.tables.items() for c in t.checks}
    found = {(k.asset_key.to_user_string(), k.name) for k in _graph().asset_check_keys}
    assert found == expected


def test_column_schema_is_the_declared_columns():
    contract = load_contract()
    for spec in defs().resolve_all_asset_specs():
        name = spec.key.to_user_string()
        schema = spec.metadata.get("dagster/column_schema")
        if name in contract.tables:
            declared = [(c.name, c.type) for c in contract.table(name).columns]
            assert [(c.name, c.type) for c in schema.columns] == declared, name
        assert spec.description.startswith(load_registry().table(name).grain), name


class _Tracer:
    """Every table lookup through `Layout`, by the asset function making it and its date."""

    METHODS = (
        "table_partition",
        "table_dir",
        "table_glob",
    )

    def __init__(self) -> None:
        self.day: date | None = None
        self.reads: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self._inside = threading.local()

    def _asset(self) -> str | None:
        ops = set(load_registry().assets())
        frame = sys._getframe(2)
        while frame is not None:
            code = frame.f_code
            if code.co_filename.startswith(DEFS_DIR) and code.co_name in ops:
                return code.co_name
            frame = frame.f_back
        return None

    def wrap(self, method_name: str):
        original = getattr(Layout, method_name)
        tracer = self

        def traced(layout, table, *args, **kwargs):
            if not getattr(tracer._inside, "active", False):
                asset = tracer._asset()
                when = "listing"
                if method_name == "table_partition":
                    day = args[0] if args else kwargs["snapshot_date"]
                    when = (
                        "same"
                        if day == tracer.day
                        else "earlier"
                        if day < tracer.day
                        else f"later ({day})"
                    )
                tracer.reads[asset or "<outside an asset>"].add((table, when))
            tracer._inside.active = True
            try:
                return original(layout, table, *args, **kwargs)
            finally:
                tracer._inside.active = False

        return traced


@pytest.fixture(scope="module")
def traced_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    tracer = _Tracer()
    mp = pytest.MonkeyPatch()
    for name in _Tracer.METHODS:
        mp.setattr(Layout, name, tracer.wrap(name))
    world = World(WorldConfig(seed=11, start_date=DAY1, n_models=300))
    try:
        with SimulatedHub(world.state(DAY1)) as hub:
            for day in DAYS:
                hub.set_state(world.state(day))
                tracer.day = day
                outcome = run_daily_job(day, out, {"mode": "api", "endpoint": hub.url})
                assert outcome.exit_code == EXIT_OK, outcome.summary()
    finally:
        mp.undo()
    return out, tracer


def _undeclared(registry, asset: str, reads: set[tuple[str, str]]) -> list[str]:
    tables = registry.assets()[asset]
    written = {t.name for t in tables}
    declared = {(r.table, r.dates) for t in tables for r in t.reads}
    same = {t for t, d in declared if d == "same" or d.startswith("window_")}
    earlier = {t for t, d in declared if d != "same"}
    seeds = {n for n, t in load_contract().tables.items() if t.seed}
    problems = []
    for table, when in sorted(reads):
        # A seed table (sql/seeds/) is looked up as a partition first; it never has one.
        if table in seeds:
            continue
        if when == "same" and (table in written or table in same):
            continue
        if when in ("earlier", "listing") and table in earlier:
            continue
        problems.append(f"{asset} reads {table} ({when}) undeclared")
    return problems


def test_every_stage_reads_only_what_the_registry_declares(traced_run):
    _, tracer = traced_run
    registry = load_registry()
    assert "<outside an asset>" not in tracer.reads, tracer.reads.get("<outside an asset>")
    problems = []
    for asset, reads in tracer.reads.items():
        problems += _undeclared(registry, asset, reads)
    assert problems == [], "\n".join(problems)


def test_tracer_catches_an_undeclared_read(traced_run):
    """The check above can fail: lineage reads staged partitions of earlier days."""
    _, tracer = traced_run
    registry = load_registry()
    assert ("models_staged", "listing") in tracer.reads["lineage"]
    assert ("models", "earlier") in tracer.reads["history"]
    assert _undeclared(registry, "lineage", {("models", "listing")}) == [
        "lineage reads models (listing) undeclared"
    ]


def test_every_warehouse_directory_is_an_asset(traced_run):
    out, _ = traced_run
    # `_`-prefixed folders are bookkeeping (history's basis records), not tables.
    found = {p.name for p in (out / "warehouse").iterdir() if not p.name.startswith("_")}
    registry = load_registry()
    assert found == set(registry.warehouse_tables())
    keys = {k.to_user_string() for k in _graph().get_all_asset_keys()}
    assert found <= keys


def test_warehouse_columns_are_the_registry_columns(traced_run):
    out, _ = traced_run
    for name in load_registry().warehouse_tables():
        entry = load_registry().table(name)
        if not entry.file.endswith(".parquet"):
            continue
        for path in sorted((out / "warehouse" / name).glob("snapshot_date=*/data.parquet")):
            described = duckdb.sql(f"describe select * from read_parquet('{path}')").fetchall()
            declared = [(c.name, c.type) for c in entry.columns]
            assert [(r[0], r[1]) for r in described] == declared, path


def test_architecture_graph_is_generated_from_the_registry():
    from pipeline.registry import ARCHITECTURE_MD, architecture_with_graph

    text = ARCHITECTURE_MD.read_text(encoding="utf-8")
    assert "lineage_aliases -. previous day .-> lineage_aliases" in text
    assert text == architecture_with_graph(text), "run `uv run python -m pipeline.contract`"
