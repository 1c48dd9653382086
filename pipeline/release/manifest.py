"""The release manifest and the file-level helpers that make a release checkable.

`manifest.json` is the last file written into a release and the proof that it is complete. It
records what the release is (id, snapshot date, schema version, the code and raw snapshot it came
from, the previous release) and, per file, rows, bytes, sha256 and columns, so that anyone can
verify a copy with `verify_release`. It carries no wall-clock time: publishing the same inputs
again yields the same manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from datetime import date
from pathlib import Path

import pipeline
from pipeline.data_license import CENSUS_LICENSE, DataLicense
from pipeline.paths import Layout
from pipeline.storage import file_sha256 as sha256_file

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
DATASET_NAME = "hub-census"
LATEST_FILE = "LATEST"
LATEST_LINK = "latest"
# Hard links to each release's files under its id: paths that never change content.
BY_ID_DIR = ".by-id"
_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def canonical_json(value: object) -> str:
    """Deterministic JSON text: same value, same bytes."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def data_digest(files: dict[str, dict]) -> str:
    """One digest over the Parquet files of a release: it names the data, whatever the docs say."""
    lines = "".join(
        f"{name} {meta['sha256']}\n" for name, meta in sorted(files.items()) if "table" in meta
    )
    return hashlib.sha256(lines.encode()).hexdigest()


def release_id(snapshot_date: date, digest: str) -> str:
    """The citable id: the date for people, a content prefix so a forced replacement differs."""
    return f"{DATASET_NAME}-{snapshot_date.isoformat()}-{digest[:8]}"


def source_summary(source_manifest: dict | None) -> dict | None:
    """The raw snapshot a release came from, as its manifest says, with a checksum of that text."""
    if source_manifest is None:
        return None
    text = json.dumps(source_manifest, sort_keys=True, ensure_ascii=False, default=str)
    return {
        "manifest": source_manifest,
        "manifest_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


SIMULATED = "simulated"


def source_kind(source_manifest: dict | None) -> str:
    """What a release's data came from, as its raw snapshot's manifest records it.

    `simulated` (a crawl of hub-census's simulated Hub, which announces itself), `hub-api` (a
    crawl of an endpoint that did not), `recorded-listing` (a replayed file) or `unknown` (no
    raw manifest). Read from what the crawl recorded, never guessed from the endpoint's address.
    """
    if source_manifest is None:
        return "unknown"
    if source_manifest.get("simulated"):
        return SIMULATED
    return "recorded-listing" if source_manifest.get("source") == "file" else "hub-api"


def build_manifest(
    *,
    snapshot_date: date,
    schema_version: str,
    schema_fingerprint: str,
    pipeline_version: str,
    source_commit: str | None,
    source_manifest: dict | None,
    files: dict[str, dict],
    previous: dict | None,
    replaces: dict | None,
    gate_acceptances: list[dict] | None = None,
    data_license: DataLicense = CENSUS_LICENSE,
) -> dict:
    digest = data_digest(files)
    return {
        "manifest_format": MANIFEST_FORMAT,
        "dataset": DATASET_NAME,
        "release_id": release_id(snapshot_date, digest),
        "snapshot_date": snapshot_date.isoformat(),
        "schema_version": schema_version,
        "schema_fingerprint": schema_fingerprint,
        "pipeline_version": pipeline_version,
        "source_commit": source_commit,
        "source_kind": source_kind(source_manifest),
        "source_snapshot": source_summary(source_manifest),
        "data_digest": digest,
        "previous_release": previous,
        "replaces": replaces,
        # gates an operator accepted after review ("accepted"), or named although they passed
        # ("unused"), each with its reason (pipeline/gates.py)
        "gate_acceptances": gate_acceptances or [],
        # the licence the release is offered under (the card's License section says why)
        "license": {"spdx": data_license.spdx, "url": data_license.url},
        "files": files,
    }


def read_manifest(release_dir: Path) -> dict | None:
    path = release_dir / MANIFEST_NAME
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def verify_release(release_dir: Path) -> list[str]:
    """Every way a release directory differs from its manifest (empty when it is intact)."""
    manifest = read_manifest(release_dir)
    if manifest is None:
        return [f"{release_dir}: no {MANIFEST_NAME}"]
    problems = []
    listed = set(manifest["files"])
    present = {p.name for p in release_dir.iterdir()} - {MANIFEST_NAME}
    problems += [f"{name}: present but not in the manifest" for name in sorted(present - listed)]
    for name, meta in sorted(manifest["files"].items()):
        path = release_dir / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        if path.stat().st_size != meta["bytes"]:
            problems.append(f"{name}: {path.stat().st_size} bytes, manifest says {meta['bytes']}")
        if sha256_file(path) != meta["sha256"]:
            problems.append(f"{name}: sha256 differs from the manifest")
    if data_digest(manifest["files"]) != manifest["data_digest"]:
        problems.append("data_digest does not match the files listed")
    return problems


def release_dates(layout: Layout) -> list[date]:
    """Dates with a complete release (a dated directory holding its manifest), oldest first."""
    releases = layout.releases()
    if not releases.is_dir():
        return []
    return sorted(
        date.fromisoformat(p.name)
        for p in releases.iterdir()
        if _DATE_DIR.match(p.name) and (p / MANIFEST_NAME).is_file()
    )


def latest_release_date(layout: Layout) -> date | None:
    """The date the `LATEST` pointer names (falling back to the newest complete release)."""
    pointer = layout.releases() / LATEST_FILE
    if pointer.is_file():
        text = pointer.read_text(encoding="utf-8").strip()
        if _DATE_DIR.match(text) and (layout.releases() / text / MANIFEST_NAME).is_file():
            return date.fromisoformat(text)
    dates = release_dates(layout)
    return dates[-1] if dates else None


def by_id_dir(layout: Layout, release_id: str) -> Path:
    return layout.releases() / BY_ID_DIR / release_id


def source_commit() -> str | None:
    """The commit the code runs from: `HUB_CENSUS_COMMIT` in deployments, else git if present."""
    if commit := os.environ.get("HUB_CENSUS_COMMIT"):
        return commit
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(pipeline.__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
