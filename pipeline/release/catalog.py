"""The DuckDB catalog over the releases, and the ways to read them.

`catalog.duckdb` in the output root holds no data, only views: `<table>` over the latest
release's file, `<table>_history` over `history/<table>/day=*/` (every file carries its
`snapshot_date`; a date filter skips the other files by their statistics), a table macro
`<table>_as_of(date)`,
and two small tables, `releases` (one row per release) and `schema_columns` (the contract).

Each publish writes a new catalog file beside the old one and renames it into place. Readers
open it read-only, so they never hold a lock the publisher needs, and the views of the catalog
they opened point at one release's immutable files (through `releases/.by-id/<release_id>/`,
which even a forced replacement of the date leaves alone): they see the old release or the new
one, never a mix.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import duckdb

from pipeline.contract import load_contract
from pipeline.paths import HISTORY_KEY, Layout, default_root
from pipeline.release.manifest import (
    by_id_dir,
    fsync_dir,
    fsync_file,
    latest_release_date,
    read_manifest,
    release_dates,
)

ENGINES = ("polars", "duckdb")


class NoReleaseError(FileNotFoundError):
    """No release (or no catalog) exists under the output root."""


def _literal(text: str) -> str:
    # DDL of persisted views cannot take bound parameters, so paths are quoted as literals.
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _history_glob(layout: Layout, table: str) -> str:
    return Layout(layout.root.resolve()).history_glob(table)


def _has_history(layout: Layout, table: str) -> bool:
    return any(layout.history(table).glob(f"{HISTORY_KEY}=*/data.parquet"))


def rebuild_catalog(layout: Layout) -> Path:
    """Write a fresh `catalog.duckdb` for the current releases and swap it in with one rename."""
    contract = load_contract()
    root = layout.root.resolve()
    target = layout.catalog()
    tmp = root / f".catalog.duckdb.{os.getpid()}.tmp"
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    latest = latest_release_date(layout)
    conn = duckdb.connect(str(tmp))
    try:
        conn.execute(
            "create table releases (release_id varchar, snapshot_date date, "
            "schema_version varchar, data_digest varchar, previous_release_id varchar, "
            "is_latest boolean, path varchar)"
        )
        for day in release_dates(layout):
            manifest = read_manifest(layout.release(day))
            conn.execute(
                "insert into releases values (?, ?, ?, ?, ?, ?, ?)",
                [
                    manifest["release_id"],
                    day,
                    manifest["schema_version"],
                    manifest["data_digest"],
                    (manifest.get("previous_release") or {}).get("release_id"),
                    day == latest,
                    str(layout.release(day).resolve()),
                ],
            )
        contract_rows = [
            {
                "table_name": t.name,
                "position": i,
                "column_name": c.name,
                "column_type": c.type,
                "description": c.description,
            }
            for t in contract.tables.values()
            for i, c in enumerate(t.columns, start=1)
        ]
        # One bulk insert: row-by-row inserts cost a round trip each.
        conn.execute(
            "create table schema_columns as select unnest($rows, recursive := true)",
            {"rows": contract_rows},
        )
        latest_files = {}
        if latest is not None:
            manifest = read_manifest(layout.release(latest))
            # Views read through the id's links when they exist (see publish._link_by_id).
            by_id = by_id_dir(layout, manifest["release_id"])
            directory = by_id if by_id.is_dir() else layout.release(latest)
            latest_files = {
                meta["table"]: directory.resolve() / name
                for name, meta in manifest["files"].items()
                if "table" in meta
            }
        for table in contract.tables:
            if table in latest_files:
                conn.execute(
                    f"create view {_ident(table)} as select * from read_parquet("
                    f"{_literal(str(latest_files[table]))})"
                )
            if _has_history(layout, table):
                # The folder key repeats the files' `snapshot_date`; the view shows the column.
                conn.execute(
                    f"create view {_ident(table + '_history')} as select * from read_parquet("
                    f"{_literal(_history_glob(layout, table))}, hive_partitioning = false, "
                    "union_by_name = true)"
                )
                conn.execute(
                    f"create macro {_ident(table + '_as_of')}(day) as table "
                    f"select * from {_ident(table + '_history')} where snapshot_date = day"
                )
        conn.execute("checkpoint")
    finally:
        conn.close()
    fsync_file(tmp)
    os.replace(tmp, target)
    fsync_dir(root)
    return target


def connect(root: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the catalog (never blocks, nor is blocked by, a publish)."""
    layout = Layout(Path(root) if root is not None else default_root())
    path = layout.catalog()
    if not path.is_file():
        raise NoReleaseError(f"no catalog at {path}: publish a release first")
    return duckdb.connect(str(path), read_only=True)


def query(sql: str, root: Path | None = None, params: list | dict | None = None):
    """Run SQL against the catalog; returns the result as a pyarrow Table."""
    conn = connect(root)
    try:
        return conn.sql(sql, params=params).to_arrow_table()
    finally:
        conn.close()


def main_query(
    root: Path | None, sql: str, csv: Path | None = None, parquet: Path | None = None
) -> int:
    """`hub-census query`: print the result as a table, or write it as CSV or Parquet."""
    try:
        conn = connect(root)
    except NoReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        rel = conn.sql(sql)
        if rel is None:
            print("error: the statement returns no rows to show", file=sys.stderr)
            return 2
        if csv is not None:
            rel.write_csv(str(csv), header=True)
        if parquet is not None:
            rel.write_parquet(str(parquet), compression="zstd")
        if csv is None and parquet is None:
            rel.show(max_rows=40, max_width=200)
    except duckdb.Error as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    return 0


def table_path(name: str, snapshot_date: date | None = None, root: Path | None = None) -> Path:
    """The Parquet file of `name` in the release of `snapshot_date` (default: the latest)."""
    layout = Layout(Path(root) if root is not None else default_root())
    load_contract().table(name)
    day = snapshot_date or latest_release_date(layout)
    if day is None:
        raise NoReleaseError(f"no release under {layout.releases()}")
    manifest = read_manifest(layout.release(day))
    if manifest is None:
        raise NoReleaseError(f"no release for {day} under {layout.releases()}")
    if f"{name}.parquet" not in manifest["files"]:
        raise NoReleaseError(f"the release of {day} has no table {name!r}")
    return layout.release(day) / f"{name}.parquet"


def _polars():
    # Imported on use: the CLI and the publisher start faster without Polars.
    import polars

    return polars


def _json_as_text(name: str, frame):
    """JSON columns arrive in Polars as an extension type over bytes; as text `str` works."""
    pl = _polars()
    json_columns = [c.name for c in load_contract().table(name).columns if c.type == "JSON"]
    return frame.with_columns(pl.col(c).ext.storage().cast(pl.String) for c in json_columns)


def load_table(
    name: str,
    date: date | None = None,
    root: Path | None = None,
    engine: str = "polars",
    conn: duckdb.DuckDBPyConnection | None = None,
):
    """For notebooks: one table of one release (default: the latest).

    `engine="polars"` gives a `polars.LazyFrame`; `engine="duckdb"` a `DuckDBPyRelation` on
    `conn` (default: DuckDB's module-level connection).
    """
    path = table_path(name, date, root)
    if engine == "polars":
        return _json_as_text(name, _polars().scan_parquet(path))
    if engine == "duckdb":
        return (conn or duckdb.default_connection()).read_parquet(str(path))
    raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")


def load_history(name: str, root: Path | None = None, engine: str = "polars"):
    """For notebooks: every published day of one table (each file carries its `snapshot_date`)."""
    layout = Layout(Path(root) if root is not None else default_root())
    load_contract().table(name)
    if not _has_history(layout, name):
        raise NoReleaseError(f"no history for {name!r} under {layout.history(name)}")
    glob = _history_glob(layout, name)
    if engine == "polars":
        frame = _polars().scan_parquet(glob, hive_partitioning=False, missing_columns="insert")
        return _json_as_text(name, frame)
    if engine == "duckdb":
        return duckdb.default_connection().read_parquet(
            glob, hive_partitioning=False, union_by_name=True
        )
    raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
