"""Hand-built raw snapshot directories for the staging tests."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.paths import Layout

DAY = date(2025, 4, 1)
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


def recorded_bodies(hubdata: Path, keep: Callable[[dict], bool]) -> list[dict]:
    """The recorded API bodies (../shared/hubdata/api-responses) that `keep` accepts, one per
    repository (`gpt2` was renamed: two names, one `_id`), in file order."""
    bodies, seen = [], set()
    for path in sorted((hubdata / "api-responses").glob("*_200_*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        if keep(body) and body["_id"] not in seen:
            seen.add(body["_id"])
            bodies.append(body)
    return bodies


def dump_line(item: dict | str) -> str:
    """A JSON line as the ingest writes it (compact, UTF-8); a `str` is taken as a raw line."""
    if isinstance(item, str):
        return item
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


def line_bytes(item: dict | str | bytes) -> bytes:
    return item if isinstance(item, bytes) else dump_line(item).encode()


def make_raw_snapshot(
    root: Path,
    snapshot_date: date,
    items: Iterable[dict | str | bytes],
    rejected: list[dict] | None = None,
    *,
    page_size: int = 3,
    complete: bool = True,
) -> Path:
    """Write `items` as gzip pages, `rejected.jsonl.gz` and `_manifest.json`; return the dir."""
    raw_dir = Layout(root).raw_models(snapshot_date)
    raw_dir.mkdir(parents=True, exist_ok=True)
    lines = [line_bytes(item) for item in items]
    files = []
    for start in range(0, len(lines), page_size):
        name = f"page-{start // page_size + 1:06d}.jsonl.gz"
        with gzip.open(raw_dir / name, "wb") as fh:
            fh.write(b"".join(line + b"\n" for line in lines[start : start + page_size]))
        files.append({"name": name, "rows": len(lines[start : start + page_size])})
    if rejected:
        with gzip.open(raw_dir / "rejected.jsonl.gz", "wt", encoding="utf-8") as fh:
            fh.write("".join(dump_line(r) + "\n" for r in rejected))
    if complete:
        manifest = {
            "snapshot_date": snapshot_date.isoformat(),
            "model_count": len(lines),
            "files": files,
            "rejected_count": len(rejected or []),
            "complete": True,
        }
        (raw_dir / "_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return raw_dir


def read_rows(path: Path) -> list[dict]:
    with duckdb.connect() as conn:
        cursor = conn.execute("select * from read_parquet(?)", [str(path)])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def column_types(path: Path) -> dict[str, str]:
    with duckdb.connect() as conn:
        rows = conn.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
    return {name: type_ for name, type_, *_ in rows}


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path)


@pytest.fixture(scope="module")
def hubdata() -> Path:
    path = SHARED / "hubdata"
    if not path.is_dir():
        pytest.skip("../shared/hubdata is absent")
    return path
