"""The ancestry of merge-dense lineage, against the path lengths worked out in Python.

Merges of merges give many paths between a model and its ancestor. The ancestry keeps one row per
pair with the shortest and longest path; here every path length of every pair is enumerated
independently (sets of lengths, parent by parent) and the table must hold exactly those pairs,
with the minimum and maximum of those lengths."""

from __future__ import annotations

import random
from datetime import date, timedelta

import duckdb
import polars as pl
import pytest

from pipeline.lineage.build import build_lineage, cycle_edges_in_ancestry
from pipeline.paths import Layout
from tests.lineage.conftest import write_staged

DAY = date(2025, 7, 1)


def merge_dense_hub(seed: int, n_models: int) -> dict[str, list[str]]:
    """Models in creation order, each with up to four parents among the older ones; about one in
    eight has none (a root), and later models mostly merge recent ones, so chains run deep."""
    rng = random.Random(seed)
    parents: dict[str, list[str]] = {}
    names: list[str] = []
    for i in range(n_models):
        name = f"org{i % 7}/m{i:04d}"
        if i == 0 or rng.random() < 0.12:
            parents[name] = []
        else:
            window = names[max(0, i - 12) :]
            k = min(len(window), rng.choice((1, 1, 2, 3, 4)))
            parents[name] = rng.sample(window, k)
        names.append(name)
    return parents


def items(parents: dict[str, list[str]]) -> list[dict]:
    rows = []
    for i, (name, bases) in enumerate(parents.items()):
        card: dict = {}
        if bases:
            card["base_model"] = bases if len(bases) > 1 else bases[0]
        rows.append(
            {
                "_id": f"{i + 1:024x}",
                "createdAt": f"{date(2024, 1, 1) + timedelta(days=i):%Y-%m-%d}T00:00:00.000Z",
                "id": name,
                "tags": ["transformers"],
                "cardData": card,
                "siblings": [{"rfilename": "model.safetensors"}],
            }
        )
    return rows


def path_lengths(parents: dict[str, list[str]]) -> dict[tuple[str, str], set[int]]:
    """Every (model, ancestor) with the set of the lengths of all paths between them."""
    lengths: dict[str, dict[str, set[int]]] = {}
    for name, bases in parents.items():  # parents come before their children
        mine: dict[str, set[int]] = {}
        for base in bases:
            mine.setdefault(base, set()).add(1)
            for ancestor, seen in lengths[base].items():
                mine.setdefault(ancestor, set()).update(n + 1 for n in seen)
        lengths[name] = mine
    return {(m, a): seen for m, ancestors in lengths.items() for a, seen in ancestors.items()}


@pytest.mark.parametrize("seed", [1, 2])
def test_ancestry_holds_shortest_and_longest_path_of_every_pair(tmp_path, seed) -> None:
    parents = merge_dense_hub(seed, 400)
    truth = path_lengths(parents)
    # the case this guards: many more paths than pairs, several lengths per pair
    assert sum(len(v) for v in truth.values()) > 2 * len(truth)
    assert max(max(v) for v in truth.values()) >= 20

    layout = Layout(tmp_path / "out")
    write_staged(layout, DAY, items(parents))
    build_lineage(layout, DAY)
    ancestry = pl.read_parquet(layout.table_partition("lineage_ancestry", DAY))

    got = {
        (r["model_id"], r["ancestor_id"]): (r["distance"], r["max_distance"], r["is_root"])
        for r in ancestry.iter_rows(named=True)
    }
    assert len(got) == ancestry.height  # one row per pair
    expected = {pair: (min(seen), max(seen), not parents[pair[1]]) for pair, seen in truth.items()}
    assert set(got) == set(expected)
    assert got == expected
    assert cycle_edges_in_ancestry(layout, DAY, duckdb.connect()) == 0


def test_ancestry_of_many_paths_fits_in_little_memory(tmp_path) -> None:
    """A chain where each model merges the two before it: between model i and model j < i run
    paths of every length from ceil((i - j) / 2) to i - j, some 2.3 million (pair, length)
    combinations for 300 models but only 44,850 pairs. A walk that keeps a row per path length
    runs out of DuckDB's memory here (it needs over 100 MB); the ancestry needs about 40 MB."""
    n = 300
    parents = {f"o/m{i:03d}": [f"o/m{j:03d}" for j in (i - 1, i - 2) if j >= 0] for i in range(n)}
    layout = Layout(tmp_path / "out")
    write_staged(layout, DAY, items(parents))
    conn = duckdb.connect(config={"memory_limit": "100MB", "threads": 2})
    build_lineage(layout, DAY, conn)
    ancestry = pl.read_parquet(layout.table_partition("lineage_ancestry", DAY))

    assert ancestry.height == n * (n - 1) // 2
    index = {name: i for i, name in enumerate(parents)}
    for row in ancestry.iter_rows(named=True):
        gap = index[row["model_id"]] - index[row["ancestor_id"]]
        assert gap > 0
        assert (row["distance"], row["max_distance"]) == ((gap + 1) // 2, gap)
        assert row["is_root"] == (row["ancestor_id"] == "o/m000")


def test_cycle_check_sees_a_walked_edge_left_out_of_the_ancestry(tmp_path) -> None:
    parents = merge_dense_hub(3, 60)
    layout = Layout(tmp_path / "out")
    write_staged(layout, DAY, items(parents))
    build_lineage(layout, DAY)
    path = layout.table_partition("lineage_ancestry", DAY)
    ancestry = pl.read_parquet(path)
    # a walk that stopped short of an edge (as one would above a cycle with no root) loses the
    # edge's distance-1 row
    dropped = ancestry.filter(pl.col("distance") == 1).head(1)
    assert dropped.height == 1
    ancestry.join(dropped, on=["model_id", "ancestor_id"], how="anti").write_parquet(path)
    assert cycle_edges_in_ancestry(layout, DAY, duckdb.connect()) == 1
