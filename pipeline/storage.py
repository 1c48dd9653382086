"""Partitions and files under the output root: listing dates, and writing safely.

Parquet is the record. Every file a reader may see (a partition, a JSON record, a pointer, the
catalog) is written beside its final place under a hidden temporary name, fsynced and renamed
into it, and the directory fsynced: a reader sees the old file or the new one, never half of
one, and a crash or power loss after the rename keeps the new one. A partition write that would
replace rows with nothing is refused unless the caller says an empty partition is legitimate.

A writer killed mid-write leaves its temporary file (`.<name>.<pid>.tmp`); the next write of the
same file removes it when that process is gone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

from pipeline.locks import process_alive
from pipeline.paths import PARTITION_KEY, Layout, literal_path

# Fixed writer settings so that the same rows give the same bytes on every run.
PARQUET_COMPRESSION = "zstd"
PARQUET_ROW_GROUP_SIZE = 122_880
_PARTITION_PREFIX = f"{PARTITION_KEY}="


class EmptyPartitionError(RuntimeError):
    """A write would have replaced a partition with no rows."""


def dated_folders(parent: Path) -> list[tuple[date, Path]]:
    """The `snapshot_date=YYYY-MM-DD` folders directly in `parent`, oldest first (the raw
    snapshots of one kind, say, whose folders hold pages rather than one Parquet file)."""
    found = []
    for path in parent.glob(f"{_PARTITION_PREFIX}*"):
        try:
            found.append((date.fromisoformat(path.name.removeprefix(_PARTITION_PREFIX)), path))
        except ValueError:
            continue  # not a folder this layout writes
    return sorted(found)


def partition_dates(layout: Layout, table: str) -> list[date]:
    """Dates that have a written partition of `table`, oldest first."""
    return [
        day
        for day, folder in dated_folders(layout.table_dir(table))
        if (folder / "data.parquet").is_file()
    ]


def previous_date(layout: Layout, table: str, day: date) -> date | None:
    """The latest date before `day` with a partition of `table` (gaps allowed)."""
    earlier = [d for d in partition_dates(layout, table) if d < day]
    return earlier[-1] if earlier else None


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in `path` durable (a directory fsync on POSIX)."""
    fsync_file(path)


def temp_name(path: Path, suffix: str = "tmp") -> Path:
    """The hidden name this process writes `path` under before renaming it into place."""
    return path.with_name(f".{path.name}.{os.getpid()}.{suffix}")


def sweep_stale_temps(path: Path, suffix: str = "tmp") -> None:
    """Remove the temporary files of writers of `path` that died before renaming them.

    A live writer's file is kept, so this needs no lock; a recycled pid only delays a sweep.
    """
    for stale in path.parent.glob(f".{path.name}.*.{suffix}"):
        pid = stale.name.removeprefix(f".{path.name}.").removesuffix(f".{suffix}")
        if not pid.isdigit() or int(pid) == os.getpid() or not process_alive(int(pid)):
            stale.unlink(missing_ok=True)


@contextmanager
def atomic_target(path: Path, *, durable: bool = True) -> Iterator[Path]:
    """A temporary path to write `path`'s new content to; on leaving the block without an
    error it is fsynced and renamed over `path`, and the directory fsynced. On an error the
    temporary file is removed and `path` is untouched.

    `durable=False` skips both fsyncs: the rename still means a killed process leaves the old
    file or the new one, but a power cut may lose the new one. Only for files that are cheap to
    write again and many (a crawl's pages: see pipeline/hub/raw.py).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temps(path)
    tmp = temp_name(path)
    try:
        yield tmp
        if durable:
            fsync_file(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    if durable:
        fsync_dir(path.parent)


def write_durably(path: Path, data: bytes) -> None:
    """Write a file not yet visible to readers (inside a staging directory) and fsync it."""
    with path.open("wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_text_durably(path: Path, text: str) -> None:
    write_durably(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace `path` with `data`: readers see the old content or the new, never a part."""
    with atomic_target(path, durable=durable) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def atomic_write_json(path: Path, value: object, *, durable: bool = True, **dumps_args) -> None:
    """Replace `path` with `value` as JSON (`dumps_args` go to `json.dumps`)."""
    atomic_write_text(path, json.dumps(value, **dumps_args), durable=durable)


def replace_symlink(link: Path, target: str) -> None:
    """Point the symlink `link` at `target` with one rename (readers never see it missing)."""
    tmp = temp_name(link, "link")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)
    fsync_dir(link.parent)


def write_partition(
    conn: duckdb.DuckDBPyConnection,
    layout: Layout,
    table: str,
    snapshot_date: date,
    relation: str | duckdb.DuckDBPyRelation,
    params: list | dict | None = None,
    *,
    allow_empty: bool = False,
) -> tuple[Path, int]:
    """Write the rows of a `select` to one partition of `table`; return (path, rows).

    `relation` is a query text from `sql/` (never assembled from data) with bound `params`, or a
    relation (a materialised table, say) written as it is.
    """
    target = layout.table_partition(table, snapshot_date)
    rel = conn.sql(relation, params=params or None) if isinstance(relation, str) else relation
    with atomic_target(target) as tmp:
        # Streamed from the query into the file: the rows are never held a second time in memory.
        rel.write_parquet(
            str(tmp), compression=PARQUET_COMPRESSION, row_group_size=PARQUET_ROW_GROUP_SIZE
        )
        # Counted from the file written, so the count and the file are the same rows.
        rows = conn.execute(
            "select coalesce(sum(num_rows), 0) from parquet_file_metadata(?)",
            [literal_path(tmp)],
        ).fetchall()[0][0]
        if rows == 0 and not allow_empty:
            raise EmptyPartitionError(
                f"refusing to write an empty partition of {table} for {snapshot_date}"
            )
    return target, rows
