from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from pipeline.paths import Layout

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
PAGE_ROWS = 1000


def write_raw_snapshot(layout: Layout, day: date, items: Iterable[dict]) -> Path:
    """Write items as the crawl does: gzip JSON Lines pages, then `_manifest.json` last."""
    raw_dir = layout.raw_models(day)
    raw_dir.mkdir(parents=True, exist_ok=True)
    files = []
    page: list[str] = []

    def flush() -> None:
        name = f"page-{len(files) + 1:06d}.jsonl.gz"
        with gzip.open(raw_dir / name, "wt", encoding="utf-8") as out:
            out.write("".join(page))
        files.append({"name": name, "rows": len(page)})
        page.clear()

    for item in items:
        page.append(json.dumps(item) + "\n")
        if len(page) >= PAGE_ROWS:
            flush()
    if page or not files:
        flush()
    (raw_dir / "_manifest.json").write_text(
        json.dumps({"complete": True, "files": files}), encoding="utf-8"
    )
    return raw_dir


STAGED_SCHEMA = {
    "snapshot_date": pl.Date,
    "model_id": pl.String,
    "hub_id": pl.String,
    "author": pl.String,
    "gguf_present": pl.Boolean,
    "created_at": pl.Datetime("us", "UTC"),
    "last_modified": pl.Datetime("us", "UTC"),
    "tags": pl.List(pl.String),
    "base_model_tags": pl.List(pl.String),
    "card_base_model": pl.List(pl.String),
    "card_base_model_relation": pl.String,
    "siblings": pl.List(pl.String),
    "card_data": pl.String,
}


def _as_text_list(value: object) -> list[str] | None:
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    return [v if isinstance(v, str) else json.dumps(v) for v in values]


def staged_row(item: dict, day: date) -> dict:
    """The lineage-relevant columns of `models_staged` for one listing item, per ARCHITECTURE.md
    (written here so these tests do not depend on the staging stage being finished)."""
    card = item.get("cardData") if isinstance(item.get("cardData"), dict) else {}
    # a field the item lacks is null, as staging writes it (lineage tells "cannot name its
    # parents" from "names none" by it)
    shown = item.get("tags")
    tags = None if shown is None else [t for t in shown if isinstance(t, str)]
    relation = card.get("base_model_relation")
    modified = item.get("lastModified")
    created = item.get("createdAt")
    return {
        "snapshot_date": day,
        "model_id": item.get("id") or item.get("modelId"),
        "hub_id": item.get("_id"),
        "author": item.get("author"),
        "gguf_present": item.get("gguf") is not None,
        "created_at": None if created is None else datetime.fromisoformat(created),
        "last_modified": None if modified is None else datetime.fromisoformat(modified),
        "tags": tags,
        "base_model_tags": None
        if tags is None
        else [t for t in tags if t.startswith("base_model:")],
        "card_base_model": _as_text_list(card.get("base_model")),
        "card_base_model_relation": (
            None
            if relation is None
            else relation
            if isinstance(relation, str)
            else json.dumps(relation)
        ),
        "siblings": [s["rfilename"] for s in item.get("siblings") or [] if "rfilename" in s],
        # staging keeps a card that is not an object (YAML text) as its JSON value
        "card_data": None if item.get("cardData") is None else json.dumps(item["cardData"]),
    }


def write_staged(layout: Layout, day: date, items: Iterable[dict]) -> Path:
    frame = pl.DataFrame([staged_row(i, day) for i in items], schema=STAGED_SCHEMA)
    path = layout.table_partition("models_staged", day)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    return path


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path / "out")


@pytest.fixture
def hubdata() -> Path:
    path = SHARED / "hubdata"
    if not path.is_dir():
        pytest.skip("../shared/hubdata is absent")
    return path
