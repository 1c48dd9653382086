"""Loading SQL from `sql/`.

Every statement the pipeline runs lives in a file under `sql/<stage>/`; values are bound as DuckDB
named parameters (`$name`), each statement given the values it reads, never formatted into the
text. From a checkout the files are read from the
repository's `sql/`; an installed wheel carries them as `pipeline/sql/`. `engine` opens the
in-memory DuckDB a step on an output root runs them in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import duckdb

from pipeline.paths import Layout

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def sql_dir() -> Path:
    for candidate in (_PACKAGE_DIR / "sql", _PACKAGE_DIR.parent / "sql"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"sql/ not found beside {_PACKAGE_DIR}: the installation is incomplete")


@cache
def load_sql(name: str) -> str:
    """Return the text of `sql/<name>.sql` (`name` may include a subfolder: `examples/x`)."""
    path = sql_dir() / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    return path.read_text(encoding="utf-8")


@contextmanager
def connection(conn: duckdb.DuckDBPyConnection | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The caller's connection as it is, or an in-memory one opened and closed here."""
    if conn is not None:
        yield conn
        return
    own = duckdb.connect()
    try:
        yield own
    finally:
        own.close()


# What a step's DuckDB may hold before it spills: the Dagster resource's default, and what work
# outside a run (a backfill's final refresh) uses. DuckDB fills what it is allowed: at 8 GB a
# 3M-model day peaked at 7.8 GB; at 5 GB it peaks at 5.0 GB in the same time, spilling the rest
# (BENCHMARKS.md, "DuckDB's memory limit").
DEFAULT_MEMORY_LIMIT = "5GB"


def engine(layout: Layout, **config: str | int) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for work on `layout`'s data, spilling under its root.

    DuckDB creates the spill folder only when it spills (its parent must exist: the root does
    once a step has anything to read) and removes it when the connection closes.
    """
    return duckdb.connect(":memory:", config={"temp_directory": str(layout.spill()), **config})
