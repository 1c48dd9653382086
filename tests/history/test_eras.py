"""History over simulated days in three eras (2022 → 2024 → 2026 shapes) against the simulator's
truth for those eras (`truth.era_changes`): equal counts, except what the documented era limit
turns into `added` + `removed` (no `_id`), and no attribute change invented at an era boundary.

The `models` partitions are derived from each era's rendered items and the truth frames, as in
test_simulated_world.py; a field the era's source lacks is NULL, as staging writes it. One run
reads which fields were absent from the partitions themselves, the other from a field_coverage
table, in which case the 2022 days carry a tag-derived licence that must still not be compared.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import polars as pl
import pytest

from pipeline.history import build_history
from pipeline.paths import Layout
from pipeline.simulator.eras import ABSENT_FIELDS, EraState
from pipeline.simulator.truth import compute_truth, era_changes
from pipeline.simulator.world import World, WorldConfig
from tests.history.conftest import BUSY_SIMULATOR_RATES, MODELS_SCHEMA

START = date(2022, 1, 10)
ERAS = ["2022"] * 3 + ["2024"] * 4 + ["2026"] * 3
KINDS = ("added", "removed", "renamed", "license_changed", "base_changed", "gated_changed")


def _partition(world: World, day: date, era: str, *, with_coverage: bool) -> pl.DataFrame:
    truth = compute_truth(world, day)
    view = EraState(world.state(day), era)
    absent = set(ABSENT_FIELDS[era])
    rows = []
    for t, item in zip(truth.models.iter_rows(named=True), view.iter_items(), strict=True):
        model_id = item.get("id") or item["modelId"]
        assert item.get("_id", t["hub_id"]) == t["hub_id"]
        card = "cardData" not in absent
        gated = item.get("gated")
        rows.append(
            {
                "snapshot_date": day,
                "model_id": model_id,
                "hub_id": item.get("_id"),
                "author": t["author"],
                "created_at": t["created_at"].replace(tzinfo=None) if "createdAt" in item else None,
                "downloads_30d": item.get("downloads"),
                "downloads_all_time": item.get("downloadsAllTime"),
                "likes": item.get("likes"),
                "pipeline_tag": item.get("pipeline_tag"),
                "library_name": item.get("library_name"),
                "gated": None if "gated" in absent else ("no" if gated is False else gated),
                "is_private": False,
                "is_disabled": False,
                # with field_coverage, a 2022 day keeps a licence (as tags would give one)
                "license_id": t["license_id"] if card or with_coverage else None,
                "license_category": t["license_category"] if card or with_coverage else None,
                "base_models": t["parents"] if card else None,
                "base_relation": t["relation"] if card else None,
                "root_models": t["roots"] if card else None,
                "family": (t["roots"][0] if t["roots"] else model_id) if card else None,
            }
        )
    return pl.DataFrame(rows, schema=MODELS_SCHEMA)


def _coverage(day: date, era: str, records: int) -> pl.DataFrame:
    fields = ["_id", "id", "modelId", "cardData", "gated", "createdAt", "tags"]
    absent = set(ABSENT_FIELDS[era])
    return pl.DataFrame(
        {
            "snapshot_date": [day] * len(fields),
            "field": fields,
            "records_with_field": [0 if f in absent else records for f in fields],
            "records": [records] * len(fields),
            "source_shape": [f"simulated_{era}"] * len(fields),
        }
    )


@pytest.mark.parametrize("with_coverage", [False, True], ids=["from_models", "field_coverage"])
def test_history_across_eras_equals_the_eras_truth(tmp_path, with_coverage):
    world = World(WorldConfig(seed=5, start_date=START, n_models=400, **BUSY_SIMULATOR_RATES))
    layout = Layout(tmp_path)
    days = [START + timedelta(days=i) for i in range(len(ERAS))]
    for day, era in zip(days, ERAS, strict=True):
        frame = _partition(world, day, era, with_coverage=with_coverage)
        path = layout.table_partition("models", day)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path)
        if with_coverage:
            cov = layout.table_partition("field_coverage", day)
            cov.parent.mkdir(parents=True, exist_ok=True)
            _coverage(day, era, frame.height).write_parquet(cov)
    boundary_seen = 0
    for i, (day, era) in enumerate(zip(days, ERAS, strict=True)):
        result = build_history(layout, day)
        if i == 0:
            continue
        expected = era_changes(world, days[i - 1], ERAS[i - 1], day, era)
        want = Counter(expected["change"].to_list())
        got = {k: result.changes[k] for k in KINDS}
        assert got == {k: want.get(k, 0) for k in KINDS}, (day, ERAS[i - 1], era)
        changes = pl.read_parquet(result.paths["model_changes"])
        for kind in ("added", "removed"):
            assert sorted(changes.filter(pl.col("change") == kind)["model_id"]) == sorted(
                expected.filter(pl.col("change") == kind)["model_id"]
            )
        if ERAS[i - 1] != era:
            boundary_seen += 1
            if ERAS[i - 1] == "2022":
                # the truth has license and base changes that day; the era limit hides them all
                world_truth = compute_truth(world, day).changes
                assert world_truth.filter(pl.col("change") == "license_changed").height > 0
                assert got["license_changed"] == got["base_changed"] == 0
                assert got["gated_changed"] == 0 and got["renamed"] == 0
                # every rename and every legacy id became an added plus a removed
                renames = world_truth.filter(pl.col("change") == "renamed").height
                assert got["added"] > renames
    assert boundary_seen == 2
    # attribute versions follow each model across the switch to _id: none left open twice
    history = pl.read_parquet(
        [str(layout.table_partition("model_attribute_history", d)) for d in days]
    )
    last = history.sort("valid_from").group_by("model_key").last().filter(pl.col("is_present"))
    assert last.height == compute_truth(world, days[-1]).models.height
