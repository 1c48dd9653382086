"""Publishing one snapshot date as an immutable, atomic release.

A release is built in a hidden staging directory beside `releases/` (`.staging-*`, which readers
and the `latest` pointer ignore), every file fsynced, `manifest.json` written last, and then the
directory appears as `releases/YYYY-MM-DD/` in one rename. A crash at any moment leaves either no
release for the date or a complete one; the next publish removes stale staging directories.

Same inputs give the same bytes: each table is selected in contract column order, sorted by its
contract sort key (made total by the unique key or by every column) and written by DuckDB with
fixed settings and row groups of a fixed number of rows; nothing in a release depends on the
clock. The stages write their partitions in that same form with the same function
(pipeline.storage.write_release_form) and record its digest and the file's sha256 beside it;
such a partition is copied byte for byte (a copy, never a link: the warehouse cannot reach a
published file) and its copy checked against the contract from its footer, its statistics and a
scan of the unique key, so a day's biggest tables are sorted and written once, not twice. Any
other source (the seed, a partition written otherwise or by another DuckDB) is read, checked,
sorted and written here; both ways give the same bytes.

Publishing a date that already has a release is a no-op when the content is identical
(`was_reused`), refused when it differs (`ReleaseExistsError`) unless forced, in which case the
old release is moved to `releases/.replaced/` and the new manifest says so.

Publishes are serialised by the publish lock (pipeline.locks.publish_lock); under it a publish
first removes a killed publish's leftovers (pipeline.release.cleanup), and after the swap brings
the `.by-id` links, the `latest` pointer (pipeline.release.links) and the history tree
(pipeline.release.history_tree) up to date. The catalog is downstream of the release: the
Dagster asset `catalog`, or `pipeline.release.publish_release` outside Dagster, rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from duckdb import ColumnExpression, ConstantExpression

from pipeline.contract import (
    Contract,
    ContractViolation,
    Table,
    check_columns,
    fingerprint,
    load_contract,
)
from pipeline.data_license import release_license
from pipeline.locks import publish_lock
from pipeline.paths import Layout, literal_path
from pipeline.provenance import stated_licenses
from pipeline.release import card, croissant
from pipeline.release.cleanup import STAGING_PREFIX, remove_stale
from pipeline.release.history_tree import update_history
from pipeline.release.links import link_by_id, update_latest
from pipeline.release.manifest import (
    MANIFEST_NAME,
    SIMULATED,
    build_manifest,
    canonical_json,
    data_digest,
    read_manifest,
    release_dates,
    release_id,
    sha256_file,
    source_kind,
)
from pipeline.sql import engine, load_sql, sql_dir
from pipeline.storage import (
    fsync_dir,
    fsync_file,
    read_release_form,
    release_form,
    write_release_form,
    write_text_durably,
)

REPLACED_DIR = ".replaced"


class ReleaseExistsError(RuntimeError):
    """A release for the date exists with different content and the publish was not forced."""


class MissingTableError(RuntimeError):
    """A table the contract requires has no partition for the date."""


@dataclass(frozen=True)
class ReleaseResult:
    release_id: str
    snapshot_date: date
    directory: Path
    files: dict[str, dict]
    rows: dict[str, int]
    was_reused: bool
    replaced: dict | None
    manifest: dict


@dataclass(frozen=True)
class _Source:
    path: Path
    is_seed: bool


def _sources(
    layout: Layout, snapshot_date: date, contract: Contract, *, require: bool = True
) -> dict[str, _Source]:
    """Where each table of the date is read from; tables whose stage has not run are absent."""
    found = {}
    for name, table in contract.tables.items():
        partition = layout.table_partition(name, snapshot_date)
        if partition.is_file():
            found[name] = _Source(partition, is_seed=False)
        elif table.seed and (sql_dir() / table.seed).is_file():
            found[name] = _Source(sql_dir() / table.seed, is_seed=True)
        elif table.required and require:
            raise MissingTableError(
                f"required table {name!r} has no partition for {snapshot_date} at {partition}"
            )
    return found


def _read_source(
    conn: duckdb.DuckDBPyConnection, table: Table, source: _Source, snapshot_date: date
):
    if not source.is_seed:
        return conn.read_parquet(literal_path(source.path))
    # A seed is text: its columns take the contract's types, and the release adds the date.
    seed = conn.read_csv(literal_path(source.path), header=True, all_varchar=True)
    exprs = []
    for name in table.column_names:
        if name == "snapshot_date" and name not in seed.columns:
            exprs.append(ConstantExpression(snapshot_date).alias(name))
        elif name in seed.columns:
            exprs.append(
                ColumnExpression(name).cast(duckdb.sqltype(table.column(name).type)).alias(name)
            )
    extra = [ColumnExpression(c) for c in seed.columns if c not in table.column_names]
    return seed.select(*exprs, *extra)


def check_warehouse(layout: Layout, snapshot_date: date) -> dict[str, list[str]]:
    """How each table present for the date differs from the contract (empty lists: it matches).

    For reconciling the contract with the stages that write the tables, before publishing.
    """
    contract = load_contract()
    report = {}
    conn = engine(layout)
    try:
        for name, source in _sources(layout, snapshot_date, contract, require=False).items():
            table = contract.table(name)
            rel = _read_source(conn, table, source, snapshot_date)
            actual = zip(rel.columns, map(str, rel.types), strict=True)
            report[name] = check_columns(table, actual, ordered=False)
    finally:
        conn.close()
    return report


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _check_dates(rel: duckdb.DuckDBPyRelation, table: Table, snapshot_date: date) -> list[str]:
    if "snapshot_date" not in table.column_names:
        return []
    column = ColumnExpression("snapshot_date")
    other = (
        rel.filter(column.isnull() | (column != ConstantExpression(snapshot_date)))
        .aggregate("count(*)")
        .fetchall()[0][0]
    )
    return [f"{other} rows have a snapshot_date other than {snapshot_date}"] if other else []


def _check_key(rel: duckdb.DuckDBPyRelation, table: Table) -> list[str]:
    if not table.unique_key:
        return []
    keys = ", ".join(_quote(k) for k in table.unique_key)
    # Counting distinct keys is cheaper than grouping them; only a difference (a duplicate or
    # a null) needs the grouping that finds examples.
    distinct = (
        f"count(distinct ({keys}))" if len(table.unique_key) > 1 else f"count(distinct {keys})"
    )
    if rel.aggregate(f"count(*) = {distinct}").fetchall()[0][0]:
        return []
    dupes = rel.aggregate(f"{keys}, count(*) as n", keys).filter("n > 1")
    examples = dupes.limit(3).fetchall()
    if not examples:
        return []
    total = dupes.aggregate("count(*)").fetchall()[0][0]
    return [
        f"unique key ({keys}) has {total} duplicated values, e.g. "
        + ", ".join(repr(tuple(e[:-1])) for e in examples)
    ]


def _dates_in_statistics(
    conn: duckdb.DuckDBPyConnection, path: Path, table: Table, snapshot_date: date
) -> bool:
    """Whether the footer's statistics show every row dated `snapshot_date` (no scan)."""
    if "snapshot_date" not in table.column_names:
        return True
    rows = conn.execute(
        load_sql("release/snapshot_date_statistics"),
        {"path": literal_path(path), "day": snapshot_date.isoformat()},
    ).fetchall()
    return bool(rows[0][0])


def _file_meta(table: Table, target: Path, rows: int, sha256: str) -> dict:
    fsync_file(target)
    return {
        "table": table.name,
        "rows": rows,
        "bytes": target.stat().st_size,
        "sha256": sha256,
        "columns": [{"name": c.name, "type": c.type} for c in table.columns],
        "sort_by": list(table.sort_by),
    }


def _copy_hashing(source: Path, target: Path) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as src, target.open("xb") as dst:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
            dst.write(chunk)
    return digest.hexdigest()


def _copy_release_form(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    source: _Source,
    target: Path,
    snapshot_date: date,
) -> dict | None:
    """Publish a partition that `write_partition` wrote in release form by copying its bytes.

    The copy is the partition only when its sha256 is the one recorded when it was written in
    the current release form; then it is already sorted and laid out as a rewrite would lay it
    out (the same function wrote it). The contract's checks run on the copy itself: the schema
    and row count from the footer, the dates from its statistics (a scan only when they do not
    settle it), the unique key by a scan of the key columns. None when the partition is not in
    the current release form: the caller rewrites it.
    """
    record = None if source.is_seed else read_release_form(source.path)
    if record is None or record.get("release_form") != release_form(table):
        return None
    sha256 = _copy_hashing(source.path, target)
    if sha256 != record.get("sha256"):
        target.unlink()
        return None
    rel = conn.read_parquet(literal_path(target))
    described = zip(rel.columns, map(str, rel.types), strict=True)
    problems = check_columns(table, described, ordered=True)
    if not problems:
        if not _dates_in_statistics(conn, target, table, snapshot_date):
            problems += _check_dates(rel, table, snapshot_date)
        problems += _check_key(rel, table)
    if problems:
        raise ContractViolation(table.name, [f"{p} (in {source.path})" for p in problems])
    return _file_meta(table, target, pq.ParquetFile(target).metadata.num_rows, sha256)


def _write_table(
    conn: duckdb.DuckDBPyConnection,
    table: Table,
    source: _Source,
    target: Path,
    snapshot_date: date,
) -> dict:
    copied = _copy_release_form(conn, table, source, target, snapshot_date)
    if copied is not None:
        return copied
    rel = _read_source(conn, table, source, snapshot_date)
    actual = [(name, str(type_)) for name, type_ in zip(rel.columns, rel.types, strict=True)]
    differences = check_columns(table, actual, ordered=False)
    if differences:
        raise ContractViolation(table.name, [f"{d} (in {source.path})" for d in differences])
    rel = rel.select(*[ColumnExpression(c) for c in table.column_names])
    problems = _check_dates(rel, table, snapshot_date) + _check_key(rel, table)
    if problems:
        raise ContractViolation(table.name, [f"{p} (in {source.path})" for p in problems])
    # The same writer as a partition in release form: a copy and a rewrite are the same bytes.
    write_release_form(rel, target, table)
    written = conn.read_parquet(literal_path(target))
    described = zip(written.columns, map(str, written.types), strict=True)
    differences = check_columns(table, described, ordered=True)
    if differences:
        raise ContractViolation(table.name, [f"{d} (as written)" for d in differences])
    rows = pq.ParquetFile(target).metadata.num_rows
    return _file_meta(table, target, rows, sha256_file(target))


def _payload_shas(files: dict[str, dict]) -> dict[str, str]:
    return {name: meta["sha256"] for name, meta in files.items()}


def _previous_release(layout: Layout, snapshot_date: date) -> dict | None:
    earlier = [d for d in release_dates(layout) if d < snapshot_date]
    if not earlier:
        return None
    manifest = read_manifest(layout.release(earlier[-1]))
    return {"release_id": manifest["release_id"], "snapshot_date": earlier[-1].isoformat()}


def write_release(
    layout: Layout,
    snapshot_date: date,
    *,
    source_manifest: dict | None = None,
    force: bool = False,
    pipeline_version: str,
    source_commit: str | None,
    gate_acceptances: list[dict] | None = None,
) -> ReleaseResult:
    """Publish the warehouse tables of `snapshot_date` as `releases/<date>/` (see module doc).

    `source_manifest` describes the raw snapshot (endpoint, crawl figures, checksum); when None,
    the raw snapshot's `_manifest.json` is read if it exists.
    """
    contract = load_contract()
    if source_manifest is None:
        raw_manifest = layout.raw_models(snapshot_date) / "_manifest.json"
        if raw_manifest.is_file():
            source_manifest = json.loads(raw_manifest.read_text(encoding="utf-8"))
    releases = layout.releases()
    with publish_lock(layout):
        remove_stale(layout)
        sources = _sources(layout, snapshot_date, contract)
        staging = releases / f"{STAGING_PREFIX}{snapshot_date.isoformat()}-{secrets.token_hex(4)}"
        staging.mkdir()
        try:
            result = _build_and_swap(
                layout,
                snapshot_date,
                contract,
                sources,
                staging,
                source_manifest=source_manifest,
                force=force,
                pipeline_version=pipeline_version,
                source_commit=source_commit,
                gate_acceptances=gate_acceptances or [],
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        link_by_id(layout, snapshot_date, result.manifest)
        update_history(layout, snapshot_date, result.manifest, contract)
        update_latest(layout)
    return result


def _build_and_swap(
    layout: Layout,
    snapshot_date: date,
    contract: Contract,
    sources: dict[str, _Source],
    staging: Path,
    *,
    source_manifest: dict | None,
    force: bool,
    pipeline_version: str,
    source_commit: str | None,
    gate_acceptances: list[dict],
) -> ReleaseResult:
    files: dict[str, dict] = {}
    conn = engine(layout)
    try:
        for name, source in sources.items():
            files[f"{name}.parquet"] = _write_table(
                conn,
                contract.table(name),
                source,
                staging / f"{name}.parquet",
                snapshot_date,
            )
        tables = {meta["table"]: staging / fname for fname, meta in files.items()}
        figures = card.release_figures(conn, tables)
    finally:
        conn.close()

    rid = release_id(snapshot_date, data_digest(files))
    simulated = source_kind(source_manifest) == SIMULATED
    # the sources of this date and of the dates it reads decide the release's licence
    source_licenses = stated_licenses(layout, snapshot_date)
    data_license = release_license(source_licenses.values())
    docs = {
        croissant.CROISSANT_NAME: croissant.render_croissant(
            contract, rid, snapshot_date, files, simulated=simulated, data_license=data_license
        ),
        card.CARD_NAME: card.render_card(
            contract,
            rid,
            snapshot_date,
            files,
            figures,
            gate_acceptances,
            simulated=simulated,
            data_license=data_license,
            source_licenses=source_licenses,
        ),
    }
    for name, text in docs.items():
        path = staging / name
        write_text_durably(path, text)
        files[name] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}

    target = layout.release(snapshot_date)
    existing = read_manifest(target) if target.exists() else None
    if target.exists() and existing is None:
        raise ReleaseExistsError(f"{target} exists without a manifest: inspect it by hand")
    if existing is not None and _payload_shas(existing["files"]) == _payload_shas(files):
        return ReleaseResult(
            release_id=existing["release_id"],
            snapshot_date=snapshot_date,
            directory=target,
            files=existing["files"],
            rows={m["table"]: m["rows"] for m in existing["files"].values() if "table" in m},
            was_reused=True,
            replaced=None,
            manifest=existing,
        )
    replaces = None
    if existing is not None:
        changed = sorted(
            name
            for name in set(files) | set(existing["files"])
            if _payload_shas(files).get(name) != _payload_shas(existing["files"]).get(name)
        )
        if not force:
            raise ReleaseExistsError(
                f"a different release {existing['release_id']} exists for {snapshot_date} "
                f"(differing files: {', '.join(changed)}); replace it with "
                "`hub-census run --replace`, or the release step's `force` config in Dagster"
            )
        aside = releases_aside(layout, snapshot_date, existing["release_id"])
        replaces = {
            "release_id": existing["release_id"],
            "data_digest": existing["data_digest"],
            "moved_to": str(aside.relative_to(layout.releases())),
            "changed_files": changed,
        }

    manifest = build_manifest(
        snapshot_date=snapshot_date,
        schema_version=contract.schema_version,
        schema_fingerprint=fingerprint(contract),
        pipeline_version=pipeline_version,
        source_commit=source_commit,
        source_manifest=source_manifest,
        files=files,
        previous=_previous_release(layout, snapshot_date),
        replaces=replaces,
        gate_acceptances=gate_acceptances,
        data_license=data_license,
    )
    write_text_durably(staging / MANIFEST_NAME, canonical_json(manifest))
    fsync_dir(staging)
    if replaces is not None:
        aside = layout.releases() / replaces["moved_to"]
        aside.parent.mkdir(parents=True, exist_ok=True)
        os.rename(target, aside)
    os.rename(staging, target)
    fsync_dir(layout.releases())
    return ReleaseResult(
        release_id=manifest["release_id"],
        snapshot_date=snapshot_date,
        directory=target,
        files=files,
        rows={m["table"]: m["rows"] for m in files.values() if "table" in m},
        was_reused=False,
        replaced=replaces,
        manifest=manifest,
    )


def releases_aside(layout: Layout, snapshot_date: date, old_release_id: str) -> Path:
    """Where a replaced release is moved: a name not taken yet. Forcing back and forth between
    two contents replaces the same release id more than once, and each replaced copy is kept."""
    first = layout.releases() / REPLACED_DIR / f"{snapshot_date.isoformat()}--{old_release_id}"
    aside, n = first, 1
    while aside.exists():
        n += 1
        aside = first.with_name(f"{first.name}--{n}")
    return aside
