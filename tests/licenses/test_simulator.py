"""Agreement with the simulated world's ground truth: staged by the real staging code.

The simulator writes licences the way real cards do (clean ids, `other` + name + link, legacy free
text, lists, junk names, tags that disagree with the card, non-string values) and records the true
licence of each model. Licences the reference table does not know (the simulator's fictional
custom ones) are expected as `other`: the pipeline never invents an id.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pipeline.licenses import build_model_licenses, load_reference
from pipeline.paths import Layout
from pipeline.simulator.truth import compute_truth
from tests.licenses.conftest import write_raw

world_mod = pytest.importorskip("pipeline.simulator.world")
staging = pytest.importorskip("pipeline.staging")

DAY = date(2026, 1, 1)


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    world = world_mod.World(world_mod.WorldConfig(seed=11, start_date=DAY, n_models=2500))
    items = list(world.state(DAY).iter_items())
    truth = compute_truth(world, DAY).models.select("model_id", "license_id", "license_category")
    layout = Layout(tmp_path_factory.mktemp("sim"))
    write_raw(layout, DAY, items)
    staging.stage_models(layout, DAY)
    result = build_model_licenses(layout, DAY)
    ours = pl.read_parquet(result.path).select(
        "model_id", "license_id", "license_category", "license_raw", "license_source"
    )
    return truth.join(ours, on="model_id", how="inner", suffix="_ours"), len(truth)


def _expected_id(true_id: str, known: set[str]) -> str | None:
    if true_id == "none":
        return None
    return true_id if true_id in known else "other"


def test_at_least_99_percent_get_the_true_id_and_category(compared):
    joined, n_truth = compared
    assert joined.height >= 0.99 * n_truth  # staged and truth describe the same models
    known = set(load_reference().licenses)
    expected = [_expected_id(t, known) for t in joined["license_id"]]
    id_ok = [e == o for e, o in zip(expected, joined["license_id_ours"], strict=True)]
    cat_ok = (joined["license_category"] == joined["license_category_ours"]).to_list()
    both = sum(a and b for a, b in zip(id_ok, cat_ok, strict=True)) / joined.height
    misses = (
        joined.with_columns(expected=pl.Series(expected), ok=pl.Series(id_ok) & pl.Series(cat_ok))
        .filter(~pl.col("ok"))
        .group_by("license_id", "license_id_ours", "license_category_ours")
        .len()
        .sort("len", descending=True)
    )
    assert both >= 0.99, f"agreement {both:.4f}; misses:\n{misses}"


def test_no_licence_is_never_unknown_other(compared):
    joined, _ = compared
    none_rows = joined.filter(pl.col("license_id") == "none")
    assert none_rows.height > 0
    assert (none_rows["license_category_ours"] == "none").mean() >= 0.99
