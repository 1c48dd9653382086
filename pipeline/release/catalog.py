"""The DuckDB catalog over the releases, and the ways to read them.

`catalog.duckdb` in the output root holds no data, only views: `<table>` over the latest
release's file, `<table>_history` over `history/<table>/day=*/` (every file carries its
`snapshot_date`; a date filter skips the other files by their statistics), a table macro
`<table>_as_of(date)`,
a view `counter_series` over the folded counter series when there is one,
and two small tables, `releases` (one row per release) and `schema_columns` (the contract).

After each publish (the Dagster asset `catalog`, downstream of `release`), a new catalog file is
written beside the old one and renamed into place. Readers
open it read-only (and sandboxed: see `connect`), so they never hold a lock the publisher
needs, and the views of the catalog they opened point at one release's immutable files
(through `releases/.by-id/<release_id>/`, which even a forced replacement of the date leaves
alone): they see the old release or the new one, never a mix.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

import duckdb

from pipeline.contract import Contract, load_contract
from pipeline.counters import TABLE as COUNTER_SERIES
from pipeline.counters import series_path
from pipeline.locks import publish_lock
from pipeline.paths import HISTORY_KEY, Layout, default_root, literal_path
from pipeline.release.manifest import (
    by_id_dir,
    latest_release_date,
    read_manifest,
    release_dates,
)
from pipeline.storage import atomic_target

ENGINES = ("polars", "duckdb")


class NoReleaseError(FileNotFoundError):
    """No release (or no catalog) exists under the output root."""


class CatalogError(RuntimeError):
    """The release was published but `catalog.duckdb` could not be rebuilt."""


class QueryRefusedError(ValueError):
    """The SQL given to `query` is not one read-only statement."""


def _literal(text: str) -> str:
    # DDL of persisted views cannot take bound parameters, so paths are quoted as literals.
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _history_glob(layout: Layout, table: str) -> str:
    return Layout(layout.root.resolve()).history_glob(table)


def _history_files(layout: Layout, table: str) -> list[Path]:
    return sorted(layout.history(table).glob(f"{HISTORY_KEY}=*/data.parquet"))


def rebuild_catalog(layout: Layout) -> Path:
    """Write a fresh `catalog.duckdb` for the current releases and swap it in with one rename."""
    contract = load_contract()
    latest = latest_release_date(layout)
    # Written in a private temporary directory and copied beside the target: DuckDB reads a `?`
    # in a database path as the start of options and puts its write-ahead log at
    # `<path up to ?>.wal?<rest>`, so it cannot commit under a root such as `out?` (even through
    # a symlink, which it resolves).
    with tempfile.TemporaryDirectory(prefix="hub-census-catalog-") as scratch:
        built = Path(scratch) / "catalog.duckdb"
        _write_catalog(layout, built, latest, contract)
        with atomic_target(layout.catalog()) as tmp:
            shutil.copyfile(built, tmp)
    return layout.catalog()


def refresh_catalog(layout: Layout, published: date | None = None) -> Path | None:
    """Bring the catalog up to date with `releases/` (what runs after a publish, and after
    `backfill --counters` folds a counter series), under the publish lock so that it cannot undo
    a concurrent publish's catalog; None when nothing is published yet.

    `published`: the date just published, named in the error when the rebuild fails so that a
    failed step is not read as "nothing was published".
    """
    if not layout.releases().is_dir():
        return None
    with publish_lock(layout):
        if latest_release_date(layout) is None:
            return None
        try:
            return rebuild_catalog(layout)
        except (duckdb.Error, OSError) as exc:
            if published is None:
                raise
            raise CatalogError(
                f"releases/{published} is published and latest, but catalog.duckdb could "
                f"not be rebuilt (queries still see the previous catalog): {exc}"
            ) from exc


def _write_catalog(layout: Layout, path: Path, latest: date | None, contract: Contract) -> None:
    conn = duckdb.connect(str(path))
    try:
        _fill_catalog(conn, layout, latest, contract)
        conn.execute("checkpoint")
    finally:
        conn.close()


def _fill_catalog(
    conn: duckdb.DuckDBPyConnection, layout: Layout, latest: date | None, contract: Contract
) -> None:
    """The catalog's tables and views, over the files of `layout`'s root, in `conn`."""
    conn.execute(
        "create table releases (release_id varchar, snapshot_date date, "
        "schema_version varchar, data_digest varchar, previous_release_id varchar, "
        "is_latest boolean, path varchar)"
    )
    release_rows = []
    for day in release_dates(layout):
        manifest = read_manifest(layout.release(day))
        release_rows.append(
            {
                "release_id": manifest["release_id"],
                "snapshot_date": day,
                "schema_version": manifest["schema_version"],
                "data_digest": manifest["data_digest"],
                "previous_release_id": (manifest.get("previous_release") or {}).get("release_id"),
                "is_latest": day == latest,
                "path": str(layout.release(day).resolve()),
            }
        )
    # One insert for all: the catalog is rebuilt after every publish, and a row-by-row insert
    # (a few milliseconds each) made each rebuild grow by seconds over a root of hundreds of dates.
    if release_rows:
        conn.execute(
            "insert into releases by name select unnest($rows, recursive := true)",
            {"rows": release_rows},
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
    # Views read through the id's links when they exist (see publish._link_by_id).
    latest_files = _release_files(layout, latest) if latest is not None else {}
    _table_views(conn, layout, contract, latest_files)
    # Not a table of the contract: one file over every date, rewritten by each
    # `backfill --counters` (pipeline/counters.py), so it gets a view of its own.
    series = series_path(layout)
    if series.is_file():
        conn.execute(
            f"create view {_ident(COUNTER_SERIES)} as select * from read_parquet("
            f"{_literal(literal_path(series.resolve()))})"
        )


def connect(root: Path | None = None, release: date | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only, sandboxed connection to the catalog (never blocks, nor is blocked by, a
    publish); with `release`, to the tables of that past release instead of the latest.

    Files are reachable only under `releases/` and `history/` of the root (what the views
    read), no extension is installed or loaded, and the configuration is locked so that a `SET`
    cannot undo any of it. DuckDB still lets such a connection write files inside those
    directories (`COPY … TO`, `ATTACH`), so `query` also refuses anything but one `SELECT`.

    A past release has no catalog file of its own: its views are made in a private in-memory
    database, over that release's immutable files, before the same sandbox is closed on it. So
    is the catalog of a root copied or moved since its catalog file was written.
    """
    layout = Layout(Path(root) if root is not None else default_root())
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    if release is None:
        path = layout.catalog()
        if not path.is_file():
            raise NoReleaseError(
                f"no catalog at {path}: publish a release first (`hub-census demo` or `run`), "
                "or name the output root that holds one with --out DIR or HUB_CENSUS_ROOT"
            )
        conn = duckdb.connect(str(path), read_only=True, config=config)
        if _written_elsewhere(conn, layout):
            # A copied or moved root: its catalog file's views name the files where it was
            # written (DuckDB keeps absolute paths), which the sandbox below does not reach, or
            # which would be another root's. The same catalog is made in memory over this root.
            conn.close()
            conn = duckdb.connect(":memory:", config=config)
            try:
                _fill_catalog(conn, layout, latest_release_date(layout), load_contract())
            except BaseException:
                conn.close()
                raise
    else:
        files = _release_files(layout, release)
        conn = duckdb.connect(":memory:", config=config)
        try:
            # its views as they were for that date: its tables, and the history up to it
            _table_views(conn, layout, load_contract(), files, until=release)
        except BaseException:
            conn.close()
            raise
    readable = [str(layout.root.resolve() / name) + os.sep for name in ("releases", "history")]
    try:
        # allowed_directories can only be set once the database runs; the lock comes last.
        # DuckDB compares the path as written, so the escaped form of each directory (what
        # the views read when the root has glob characters) is allowed too.
        conn.execute(
            "set allowed_directories = ?",
            [sorted({*readable, *(literal_path(d) for d in readable)})],
        )
        conn.execute("set enable_external_access = false")
        conn.execute("set lock_configuration = true")
    except BaseException:
        conn.close()
        raise
    return conn


def _written_elsewhere(conn: duckdb.DuckDBPyConnection, layout: Layout) -> bool:
    """Whether the catalog open on `conn` was written for a root at another place than
    `layout`'s: its latest release's recorded path is not this root's."""
    row = conn.execute("select snapshot_date, path from releases where is_latest").fetchone()
    return row is not None and Path(row[1]) != layout.release(row[0]).resolve()


def _release_files(layout: Layout, day: date) -> dict[str, Path]:
    """Each table's file in the release of `day` (through its id's links when they exist)."""
    manifest = read_manifest(layout.release(day))
    if manifest is None:
        known = ", ".join(map(str, release_dates(layout))) or "none"
        raise NoReleaseError(
            f"no release for {day} under {layout.releases()} (releases: {known}); "
            "name the output root that holds it with --out DIR or HUB_CENSUS_ROOT"
        )
    by_id = by_id_dir(layout, manifest["release_id"])
    directory = by_id if by_id.is_dir() else layout.release(day)
    return {
        meta["table"]: directory.resolve() / name
        for name, meta in manifest["files"].items()
        if "table" in meta
    }


def _table_views(
    conn: duckdb.DuckDBPyConnection,
    layout: Layout,
    contract: Contract,
    files: dict[str, Path],
    until: date | None = None,
) -> None:
    """Per table: `<table>` over its file in `files`, `<table>_history` over its history (up to
    `until`, when given) and the `<table>_as_of(day)` macro."""
    bound = f" where snapshot_date <= date {_literal(until.isoformat())}" if until else ""
    for table in contract.tables:
        if table in files:
            conn.execute(
                f"create view {_ident(table)} as select * from read_parquet("
                f"{_literal(literal_path(files[table]))})"
            )
        if _history_files(layout, table):
            # The folder key repeats the files' `snapshot_date`; the view shows the column.
            conn.execute(
                f"create view {_ident(table + '_history')} as select * from read_parquet("
                f"{_literal(_history_glob(layout, table))}, hive_partitioning = false, "
                f"union_by_name = true){bound}"
            )
            conn.execute(
                f"create macro {_ident(table + '_as_of')}(day) as table "
                f"select * from {_ident(table + '_history')} where snapshot_date = day"
            )


def check_read_only(conn: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse SQL that is not exactly one `SELECT` (which includes `with`, `from`, `describe`,
    `show` and `summarize`): the sandbox of `connect` still allows writes under the root."""
    try:
        statements = conn.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryRefusedError(str(error).splitlines()[0]) from None
    kinds = [s.type for s in statements]
    if kinds != [duckdb.StatementType.SELECT]:
        shown = ", ".join(k.name for k in kinds) or "nothing"
        raise QueryRefusedError(
            f"only one read-only SELECT statement is allowed (got {shown}); "
            "use --csv or --parquet to write a result"
        )


def query(
    sql: str,
    root: Path | None = None,
    params: list | dict | None = None,
    release: date | None = None,
):
    """Run one SELECT against the catalog (or a past `release`); returns a pyarrow Table."""
    conn = connect(root, release)
    try:
        check_read_only(conn, sql)
        return conn.sql(sql, params=params).to_arrow_table()
    finally:
        conn.close()


def main_query(
    root: Path | None,
    sql: str,
    csv: Path | None = None,
    parquet: Path | None = None,
    release: date | None = None,
    params: dict[str, str] | None = None,
) -> int:
    """`hub-census query`: print the result as a table, or write it as CSV or Parquet.

    The result files are written here, by Python, from rows the sandboxed connection returned:
    the SQL itself can write nothing. `params` are bound to the query's `$name` parameters.
    """
    try:
        conn = connect(root, release)
    except NoReleaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    inside = Layout(Path(root) if root is not None else default_root()).root.resolve()
    for target in (csv, parquet):
        # resolved, so that `latest/…`, `..` or a symlink cannot lead back into the root
        if target is not None and Path(target).resolve().is_relative_to(inside):
            conn.close()
            print(
                f"error: refusing to write the result to {target}: it is inside the output root "
                f"{inside}, whose files are published (and immutable); write it elsewhere",
                file=sys.stderr,
            )
            return 2
    try:
        check_read_only(conn, sql)
        table = conn.sql(sql, params=params or None).to_arrow_table()
        # A fresh in-memory connection of our own writes the result where the user asked.
        with duckdb.connect() as writer:
            result = writer.from_arrow(table)
            if csv is not None:
                result.write_csv(str(csv), header=True)
            if parquet is not None:
                result.write_parquet(str(parquet), compression="zstd")
            if csv is None and parquet is None:
                result.show(max_rows=40, max_width=200)
            else:
                written = csv if csv is not None else parquet
                rows = f"{table.num_rows:,} row" + ("" if table.num_rows == 1 else "s")
                print(f"wrote {rows} to {Path(written).resolve()}")
    except QueryRefusedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (duckdb.InvalidInputException, duckdb.BinderException) as error:
        message = str(error).splitlines()[0]
        if "parameter" not in message.lower():
            print(f"error: {error}", file=sys.stderr)
            return 1
        # A `$name` without --param name=VALUE, or a --param the query does not use.
        print(f"error: {message} (give each $name as --param name=VALUE)", file=sys.stderr)
        return 2
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
        return _json_as_text(name, _polars().scan_parquet(path, glob=False))
    if engine == "duckdb":
        return (conn or duckdb.default_connection()).read_parquet(literal_path(path))
    raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")


def load_history(name: str, root: Path | None = None, engine: str = "polars"):
    """For notebooks: every published day of one table (each file carries its `snapshot_date`)."""
    layout = Layout(Path(root) if root is not None else default_root())
    load_contract().table(name)
    files = _history_files(layout, name)
    if not files:
        raise NoReleaseError(f"no history for {name!r} under {layout.history(name)}")
    if engine == "polars":
        # Explicit files, not a pattern: Polars would expand glob characters in the root.
        frame = _polars().scan_parquet(
            files, hive_partitioning=False, missing_columns="insert", glob=False
        )
        return _json_as_text(name, frame)
    if engine == "duckdb":
        return duckdb.default_connection().read_parquet(
            _history_glob(layout, name), hive_partitioning=False, union_by_name=True
        )
    raise ValueError(f"engine must be one of {ENGINES}, not {engine!r}")
