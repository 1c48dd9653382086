"""Published files hold only public metadata: a record the listing marks `private` (shown only
because the token can see it) is never staged, and nothing of it but its length and hash is kept."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import duckdb

from pipeline.paths import Layout
from pipeline.staging import stage_models

DAY = date(2025, 4, 1)
SECRET_ID = "acme-internal/secret-model-7"
SECRET_TEXT = "codename-nightjar-unreleased"


def _item(n: int, **fields) -> dict:
    return {"_id": f"{n:024x}", "id": f"org/public-{n}", "private": False, **fields}


def _write_raw(root: Path, items: list[dict]) -> None:
    raw_dir = Layout(root).raw_models(DAY)
    raw_dir.mkdir(parents=True)
    lines = b"".join(json.dumps(i).encode() + b"\n" for i in items)
    (raw_dir / "page-000001.jsonl.gz").write_bytes(gzip.compress(lines))
    manifest = {"files": [{"name": "page-000001.jsonl.gz", "rows": len(items)}], "complete": True}
    (raw_dir / "_manifest.json").write_text(json.dumps(manifest))


def test_a_private_record_is_counted_but_nothing_of_it_is_kept(tmp_path):
    secret = _item(
        9, id=SECRET_ID, private=True, gated="manual", cardData={"license_name": SECRET_TEXT}
    )
    too_large_secret = _item(10, id=SECRET_ID + "-b", private=True, cardData="y" * (2 << 20))
    _write_raw(tmp_path, [_item(1), secret, _item(2), too_large_secret])
    result = stage_models(Layout(tmp_path), DAY)
    assert result.rows_staged == 2
    assert result.quarantine_by_reason == {"private_record": 2}
    with duckdb.connect() as conn:
        staged = conn.execute(
            "select model_id from read_parquet(?)", [str(result.paths["models_staged"])]
        ).fetchall()
        quarantined = conn.execute(
            "select record_key, raw_record, raw_length, raw_sha256 from read_parquet(?)",
            [str(result.paths["quarantine"])],
        ).fetchall()
    assert sorted(staged) == [("org/public-1",), ("org/public-2",)]
    assert {(k, r) for k, r, _, _ in quarantined} == {(None, None)}
    assert all(length > 0 and len(sha) == 64 for _, _, length, sha in quarantined)
    for path in (tmp_path / "warehouse").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET_ID.encode() not in data and SECRET_TEXT.encode() not in data, path
