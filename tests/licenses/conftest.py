"""Staged partitions for the licence tests, written directly with the columns of ARCHITECTURE.md."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.paths import Layout

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"

STAGED_SCHEMA = {
    "snapshot_date": pl.Date,
    "model_id": pl.String,
    "hub_id": pl.String,
    "author": pl.String,
    "tags": pl.List(pl.String),
    "license_tags": pl.List(pl.String),
    "card_license": pl.List(pl.String),
    "card_license_name": pl.String,
    "card_license_link": pl.String,
    "base_model_tags": pl.List(pl.String),
    "card_base_model": pl.List(pl.String),
    "card_base_model_relation": pl.String,
    "card_datasets": pl.List(pl.String),
    "siblings": pl.List(pl.String),
    "gguf_present": pl.Boolean,
    "parameter_count": pl.Int64,
    "card_data": pl.String,
}


def staged_row(model_id: str, **fields) -> dict:
    """One staged row; `card` (a dict) fills the card columns the way staging does."""
    card = fields.pop("card", None) or {}
    lic = card.get("license")
    row = {
        "model_id": model_id,
        "hub_id": f"{abs(hash(model_id)) % 16**24:024x}",
        "author": model_id.split("/")[0] if "/" in model_id else None,
        "tags": [],
        "license_tags": [],
        "card_license": None if lic is None else ([lic] if isinstance(lic, str) else lic),
        "card_license_name": card.get("license_name"),
        "card_license_link": card.get("license_link"),
        "base_model_tags": [],
        "card_base_model": None,
        "card_base_model_relation": card.get("base_model_relation"),
        "card_datasets": card.get("datasets"),
        "siblings": ["config.json", "model.safetensors"],
        "gguf_present": False,
        "parameter_count": None,
        "card_data": json.dumps(card) if card else None,
    }
    row.update(fields)
    # staging derives these from the tags; a record without tags has none of them either
    if not fields.get("license_tags") and "tags" in fields:
        row["license_tags"] = [t[8:] for t in fields["tags"] or [] if t.startswith("license:")]
    if not fields.get("base_model_tags") and "tags" in fields:
        row["base_model_tags"] = [t for t in fields["tags"] or [] if t.startswith("base_model:")]
    return row


def write_staged(layout: Layout, snapshot_date: date, rows: list[dict]) -> Path:
    frame = pl.DataFrame(
        [{**r, "snapshot_date": snapshot_date} for r in rows], schema=STAGED_SCHEMA
    )
    target = layout.table_partition("models_staged", snapshot_date)
    target.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect()
    conn.register("frame", frame)
    conn.execute(
        "copy (select * replace (card_data::json as card_data) from frame) to ? (format parquet)",
        [str(target)],
    )
    conn.close()
    return target


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path)


def write_raw(layout: Layout, day: date, items: list[dict], page_size: int = 1000) -> None:
    """A complete raw snapshot (gzip JSON Lines pages + manifest) of `items`."""
    raw = layout.raw_models(day)
    raw.mkdir(parents=True, exist_ok=True)
    files = []
    for start in range(0, len(items), page_size):
        name = f"page-{start // page_size + 1:06d}.jsonl.gz"
        chunk = items[start : start + page_size]
        with gzip.open(raw / name, "wt", encoding="utf-8") as fh:
            fh.writelines(json.dumps(i, ensure_ascii=False) + "\n" for i in chunk)
        files.append({"name": name, "rows": len(chunk)})
    manifest = {
        "snapshot_date": day.isoformat(),
        "model_count": len(items),
        "files": files,
        "rejected_count": 0,
        "complete": True,
    }
    (raw / "_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
