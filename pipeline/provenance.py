"""Where each snapshot date came from and how much of the Hub it covers (`snapshot_sources`).

A date can be a live crawl, a recorded listing replayed by `run --from-file`, a file of an archive
imported by `backfill`, or a simulated Hub. An archive may hold only part of the Hub (one family
tree, one organisation), and older listings lack fields that newer ones carry. Both change what a
day's figures mean, so every date records its source, its coverage and the fields the source
lacked, and two consecutive dates are *comparable* only when all three agree: a jump between days
that are not is a change of source, not growth.

Coverage is the operator's statement (`--coverage full_hub|subset` on `run` and `backfill`): a
file cannot prove that it holds the whole Hub. It defaults to `full_hub`, for crawls and replays
alike; an operator importing one family tree says `--coverage subset`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb

from pipeline.data_license import SOURCE_LICENSES
from pipeline.paths import Layout, literal_path
from pipeline.sql import load_sql
from pipeline.storage import partition_dates, write_partition

# The first day a snapshot can be dated: archives of Hub listings reach back to 2021, so the
# partitions cover the Hub's whole public life and any of it can be replayed or imported.
FIRST_SNAPSHOT_DATE = date(2020, 1, 1)

TABLE = "snapshot_sources"
# Written by staging (one row per source field per date) when that stage records it.
FIELD_COVERAGE = "field_coverage"
# printable, no control character, no leading or trailing space: it is published as given
_SUBSET_NAME = re.compile(r"[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,98}[^\s\x00-\x1f\x7f])?")
SOURCE_KINDS = ("live_crawl", "recorded_replay", "archive_import", "simulated")
COVERAGES = ("full_hub", "subset")
# The kind a source gets when the operator does not say, by the hub resource's mode.
KIND_BY_MODE = {"api": "live_crawl", "file": "recorded_replay", "simulated": "simulated"}


@dataclass(frozen=True)
class SourceInfo:
    """What the operator (or the backfill) states about a date's source."""

    kind: str
    coverage: str = "full_hub"
    # Set when the file replayed is not the file imported (a Parquet dump read as JSON Lines).
    name: str | None = None
    sha256: str | None = None
    # Which subset, as the operator names it: two subset days are compared only when they name
    # the same one (one family tree imported week after week).
    subset_name: str | None = None
    # The source's own licence (`--source-license`, an SPDX id in SOURCE_LICENSES): it decides
    # the licence of the releases built from it (pipeline.data_license).
    license: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"unknown source kind {self.kind!r}; one of {', '.join(SOURCE_KINDS)}")
        if self.coverage not in COVERAGES:
            raise ValueError(f"unknown coverage {self.coverage!r}; one of {', '.join(COVERAGES)}")
        if self.subset_name is not None:
            if self.coverage != "subset":
                raise ValueError("a subset name is given only for coverage `subset`")
            if not _SUBSET_NAME.fullmatch(self.subset_name):
                raise ValueError(
                    f"subset name {self.subset_name!r}: 1 to 100 printable characters, "
                    "not starting or ending with a space"
                )
        if self.license is not None and self.license not in SOURCE_LICENSES:
            raise ValueError(f"unknown source licence {self.license!r}")


def stated_coverage(coverage: str, subset_name: str | None) -> dict:
    """The hub resource's coverage settings for what the operator said (`--coverage`,
    `--subset NAME`, which implies a subset); ValueError, in one line, when they cannot be."""
    if subset_name is not None:
        coverage = "subset"
    SourceInfo("archive_import", coverage, subset_name=subset_name)
    return {"coverage": coverage, "subset_name": subset_name}


def public_endpoint(url: str) -> str:
    """The endpoint as it may be published: no user, password, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _pages_digest(manifest: dict) -> str | None:
    """A crawl has no single file: its digest is over the pages' names and sha256, in order."""
    files = manifest.get("files") or []
    # A manifest written by hand or by an older version may lack a page's digest: unknown then.
    if not files or not all(isinstance(f, dict) and f.get("sha256") for f in files):
        return None
    lines = "".join(f"{f['name']} {f['sha256']}\n" for f in files)
    return hashlib.sha256(lines.encode()).hexdigest()


def source_row(layout: Layout, day: date, info: SourceInfo) -> dict:
    """The `snapshot_sources` values known before staging: from the raw manifest and `info`."""
    manifest_path = layout.raw_models(day) / "_manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("source") == "file":
        # several recordings of one date are named together, in the order they were replayed
        names = [s.get("name") for s in manifest.get("sources") or [] if isinstance(s, dict)]
        name = (
            info.name
            or ", ".join(n for n in names if isinstance(n, str))
            or Path(manifest.get("source_path") or "").name
            or None
        )
        sha = info.sha256 or manifest.get("source_sha256")
    else:
        endpoint = manifest.get("endpoint")
        name = info.name or (public_endpoint(endpoint) if endpoint else None)
        sha = info.sha256 or _pages_digest(manifest)
    return {
        "source_kind": info.kind,
        "source_name": name,
        "source_sha256": sha,
        "source_records": int(manifest.get("model_count", 0))
        + int(manifest.get("rejected_count", 0)),
        "coverage": info.coverage,
        "subset_name": info.subset_name,
        "source_license": info.license,
    }


def build_snapshot_sources(
    layout: Layout, day: date, info: SourceInfo, conn: duckdb.DuckDBPyConnection
) -> tuple[Path, int]:
    """Write the date's one `snapshot_sources` row; staging must have run (it counts the
    quarantine and, when it records them, the fields present)."""
    row = source_row(layout, day, info)
    coverage_path = layout.table_partition(FIELD_COVERAGE, day)
    params = {
        "snapshot_date": day,
        **row,
        "models_path": literal_path(layout.table_partition("models_staged", day)),
        "quarantine_path": literal_path(layout.table_partition("quarantine", day)),
    }
    if coverage_path.is_file():
        sql = "provenance/snapshot_sources"
        params["field_coverage_path"] = literal_path(coverage_path)
    else:
        sql = "provenance/snapshot_sources_bare"
    return write_partition(conn, layout, TABLE, day, load_sql(sql), params)


def stated_licenses(layout: Layout, until: date) -> dict[date, str]:
    """The licence stated for the source of each date up to `until` (`--source-license`), for
    the dates that state one: a release built on any of them carries it (pipeline.data_license)."""
    days = [d for d in partition_dates(layout, TABLE) if d <= until]
    if not days:
        return {}
    paths = [literal_path(layout.table_partition(TABLE, d)) for d in days]
    with duckdb.connect() as conn:
        rel = conn.sql(load_sql("provenance/source_licenses"), params={"paths": paths})
        if "source_license" not in rel.columns:
            return {}
        rows = rel.select("snapshot_date", "source_license").fetchall()
    return {day: lic for day, lic in rows if lic is not None}


@dataclass(frozen=True)
class DaySource:
    coverage: str | None
    source_shape: str | None
    missing_fields: tuple[str, ...] | None
    # not part of what makes two sources alike: every observation has its own bytes
    sha256: str | None = field(default=None, compare=False)
    subset_name: str | None = None


def day_source(layout: Layout, day: date) -> DaySource | None:
    """The date's coverage, shape and missing fields; None when it has no `snapshot_sources`."""
    path = layout.table_partition(TABLE, day)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    # A partition is replaced by a rename, never written in place: a new file has a new inode.
    return _read_day_source(literal_path(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)


# A day's gates, history and release each ask for the day's and the previous day's source, and a
# new DuckDB costs tens of milliseconds: one read per file is a few tenths of a second per date,
# which is most of a small date of a backfill.
@lru_cache(maxsize=64)
def _read_day_source(path: str, inode: int, mtime_ns: int, size: int) -> DaySource | None:
    with duckdb.connect() as conn:
        rel = conn.execute(load_sql("provenance/day_source"), {"path": path})
        columns = [d[0] for d in rel.description]
        found = rel.fetchone()
    if found is None:
        return None
    # by name: a partition written before a column existed (`subset_name`) lacks it
    row = dict(zip(columns, found, strict=True))
    missing = row["missing_fields"]
    return DaySource(
        row["coverage"],
        row["source_shape"],
        tuple(sorted(missing)) if missing is not None else None,
        row.get("source_sha256"),
        row.get("subset_name"),
    )


def comparable(layout: Layout, day: date, previous: date | None) -> bool | None:
    """Whether `day`'s figures can be read as a change from `previous`'s: the same coverage,
    source shape and missing fields (None on a baseline), and not an unnamed subset. Nothing but
    the operator says that two subsets are the same part of the Hub (one date's file may hold
    one family tree, the next another), so a subset day is read as a change only from a day
    whose subset has the same name (`--subset`). Nor is a day whose source is, byte for byte,
    the previous day's (an archive that copied a stale snapshot under a new date:
    hub_weekly_snapshots does when upstream skipped days): its zero changes are a copy, not an
    observation. Dates without provenance (history built on bare `models` partitions) compare
    as they always did."""
    if previous is None:
        return None
    source, earlier = day_source(layout, day), day_source(layout, previous)
    # a subset compares only with a day that names the same subset (the equality below)
    if source is not None and source.coverage == "subset" and source.subset_name is None:
        return False
    if same_source_bytes(source, earlier):
        return False
    return source == earlier


def same_source_bytes(source: DaySource | None, earlier: DaySource | None) -> bool:
    """Whether two dates were built from the same bytes (their sources' sha256 are equal)."""
    return bool(source and earlier and source.sha256 and source.sha256 == earlier.sha256)
