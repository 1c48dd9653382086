"""Two recorded listings of the same family tree, replayed as consecutive snapshots."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipeline.history import build_history
from pipeline.paths import Layout
from tests.history.conftest import models_row, write_models

TREES = Path(__file__).resolve().parents[2] / ".." / "shared" / "hubdata" / "trees"
ROOTS = [
    "DeepHermes-3-Mistral-24B-Preview",
    "Kokoro-82M",
    "stable-diffusion-3-medium",
    "OrangeMixs",
]


def _timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def _rows(path: Path, day: date) -> list[dict]:
    """The few columns history reads, parsed from `/api/models` items (staging's job elsewhere)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        card = item.get("cardData") or {}
        gated = item.get("gated")
        license_value = card.get("license")
        rows.append(
            models_row(
                day,
                model_id=item["id"],
                hub_id=item["_id"],
                created_at=_timestamp(item.get("createdAt")),
                downloads_30d=item.get("downloads"),
                downloads_all_time=item.get("downloadsAllTime"),
                likes=item.get("likes"),
                pipeline_tag=item.get("pipeline_tag"),
                library_name=item.get("library_name"),
                gated="no" if gated in (False, None) else str(gated),
                is_private=bool(item.get("private")),
                license_id=license_value if isinstance(license_value, str) else None,
                base_models=[
                    t.split(":", 2)[2]
                    for t in item.get("tags", [])
                    if t.count(":") >= 2 and t.startswith("base_model:")
                ],
            )
        )
    return rows


@pytest.mark.parametrize("root", ROOTS)
def test_replayed_pair_yields_the_set_difference_of_the_two_files(root: str, tmp_path):
    files = sorted(TREES.glob(f"{root}_finetunes_*.jsonl"))
    if len(files) != 2:
        pytest.skip(f"recorded pair for {root} not available under {TREES}")
    # Some pairs were taken twice on one day: they stand for two consecutive snapshots here.
    days = [date(2025, 4, 22), date(2025, 4, 23)]
    layout = Layout(tmp_path)
    listings = []
    for path, day in zip(files, days, strict=True):
        rows = _rows(path, day)
        write_models(layout, day, rows)
        listings.append({r["hub_id"]: r["model_id"] for r in rows})
        build_history(layout, day)
    first, second = listings
    changes = duckdb.sql(
        "select change, model_id from read_parquet(?)",
        params=[str(layout.table_partition("model_changes", days[1]))],
    ).fetchall()
    added = {m for c, m in changes if c == "added"}
    removed = {m for c, m in changes if c == "removed"}
    assert added == set(second.values()) - set(first.values())
    assert removed == set(first.values()) - set(second.values())
    assert added == {second[h] for h in second.keys() - first.keys()}
    assert removed == {first[h] for h in first.keys() - second.keys()}
    assert not {c for c, _ in changes} & {"renamed", "baseline"}
    counts = duckdb.sql(
        "select models, new, removed from read_parquet(?) where dimension = 'all'",
        params=[str(layout.table_partition("ecosystem_daily", days[1]))],
    ).fetchall()
    assert counts == [(len(second), len(added), len(removed))]
