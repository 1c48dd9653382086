"""Partitions and files under the output root: listing dates, and writing safely.

Parquet is the record. Every file a reader may see (a partition, a JSON record, a pointer, the
catalog) is written beside its final place under a hidden temporary name, fsynced and renamed
into it, and the directory fsynced: a reader sees the old file or the new one, never half of
one, and a crash or power loss after the rename keeps the new one. A partition write that would
replace rows with nothing is refused unless the caller says an empty partition is legitimate.

A writer killed mid-write leaves its temporary file (`.<name>.<pid>.tmp`); the next write of the
same file removes it when that process is gone.

A partition of a table the release contract publishes is written in *release form*: the
contract's columns in its order, sorted by the release's total order, with the release's writer
settings, i.e. the very bytes a publish would write from it. Beside it, `release-form.json`
records the layout (`release_form`) and the file's sha256, so a publish can copy the file
instead of sorting and writing the table a second time (pipeline.release.publish).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
from duckdb import CaseExpression, ColumnExpression

from pipeline.contract import Table, check_columns, load_contract
from pipeline.locks import process_alive
from pipeline.paths import PARTITION_KEY, Layout, literal_path

# Fixed writer settings so that the same rows give the same bytes on every run.
PARQUET_COMPRESSION = "zstd"
PARQUET_ROW_GROUP_SIZE = 122_880
_PARTITION_PREFIX = f"{PARTITION_KEY}="
RELEASE_FORM_NAME = "release-form.json"


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


def basis_path(layout: Layout, step: str, day: date) -> Path:
    return layout.root / "warehouse" / f"_{step}_basis" / f"{day.isoformat()}.json"


def stamp_path(layout: Layout, day: date) -> Path:
    return layout.root / "warehouse" / "_build_stamp" / f"{day.isoformat()}.json"


def write_stamp(layout: Layout, day: date) -> None:
    """Mark a new build of the day (written when its history, the last of the tables later days
    read, is complete): a later day built against an older build of it is then stale."""
    atomic_write_json(stamp_path(layout, day), {"stamp": uuid.uuid4().hex})


def read_stamp(layout: Layout, day: date | None) -> str | None:
    """The day's build stamp, or None: no day, or a day not (yet) fully built."""
    path = stamp_path(layout, day) if day is not None else None
    if path is None or not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))["stamp"]


def write_basis(
    layout: Layout, step: str, day: date, previous: date | None, previous_stamp: str | None
) -> None:
    """Record which earlier date `step` built the day against, and which build of it (its stamp,
    read before the step read that date's tables), so that a date arriving later, or an earlier
    day built again, shows the day to be stale (`basis_is_current`)."""
    atomic_write_json(
        basis_path(layout, step, day),
        {
            "previous_snapshot_date": previous.isoformat() if previous else None,
            "previous_stamp": previous_stamp,
        },
    )


def basis_is_current(layout: Layout, step: str, day: date, previous: date | None) -> bool:
    """Whether `step` built the day against `previous`, the earlier date it has now, as that date
    is built now. A day whose record predates the basis (or the stamp) counts as current."""
    path = basis_path(layout, step, day)
    if not path.is_file():
        return True
    record = json.loads(path.read_text(encoding="utf-8"))
    if record["previous_snapshot_date"] != (previous.isoformat() if previous else None):
        return False
    return "previous_stamp" not in record or record["previous_stamp"] == read_stamp(
        layout, previous
    )


def stale_dates(layout: Layout, step: str, table: str) -> list[date]:
    """The dates of `table` whose `step` was built against another earlier date of it than the one
    before them now, or another build of it (`basis_is_current`): oldest first."""
    dates = partition_dates(layout, table)
    return [
        day
        for i, day in enumerate(dates)
        if not basis_is_current(layout, step, day, dates[i - 1] if i else None)
    ]


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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def release_order(table: Table) -> list[str]:
    """The contract's sort key made total (by the unique key, else by every column): ties
    would let the order, and so the bytes, vary between runs."""
    order = list(table.sort_by)
    if not set(table.unique_key) <= set(order):
        order += [c for c in table.column_names if c not in order]
    return order


def release_form(table: Table) -> str:
    """A digest of everything besides the rows that decides a release file's bytes: the
    columns, their types and order, the total order, the writer and its settings."""
    shape = {
        "table": table.name,
        "columns": [[c.name, c.type] for c in table.columns],
        "order": release_order(table),
        "row_group_rows": table.row_group_rows,
        "compression": PARQUET_COMPRESSION,
        "nullability": "optional",
        # Another DuckDB may encode the same rows differently: its files are rewritten.
        "writer": duckdb.__version__,
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()


def write_release_form(rel: duckdb.DuckDBPyRelation, path: Path, table: Table) -> None:
    """Write `rel` as `table`'s release file: contract columns and order, total order, fixed
    settings. DuckDB's writer keeps the sorted order (insertion order is preserved), cuts row
    groups at a fixed number of rows, and writes statistics for every column and Bloom filters
    for the dictionary-encoded ones."""
    ordered = rel.select(*[ColumnExpression(c) for c in table.column_names]).sort(
        *[ColumnExpression(c).asc().nulls_last() for c in release_order(table)]
    )
    # DuckDB marks a column REQUIRED when the plan proves it has no nulls: a query's plan proves
    # other columns than a file's statistics do, so a copy of a stage's file and a rewrite of it
    # would differ, and a column's schema would change from day to day with its data. This
    # projection (after the sort, which keeps using the statistics) proves nothing, so every
    # column is OPTIONAL, whichever path wrote the file.
    ordered = ordered.select(
        *[
            CaseExpression(ColumnExpression(c).isnotnull(), ColumnExpression(c)).alias(c)
            for c in table.column_names
        ]
    )
    ordered.write_parquet(
        str(path), compression=PARQUET_COMPRESSION, row_group_size=table.row_group_rows
    )


def release_form_record(partition: Path) -> Path:
    return partition.with_name(RELEASE_FORM_NAME)


def read_release_form(partition: Path) -> dict | None:
    """What `write_partition` recorded about the partition's release form, if anything."""
    try:
        record = json.loads(release_form_record(partition).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


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
    relation (a materialised table, say). A table the release contract publishes is written in
    release form when its columns match the contract (see the module doc); any other is
    written as it is, and a publish refuses or rewrites it.
    """
    target = layout.table_partition(table, snapshot_date)
    rel = conn.sql(relation, params=params or None) if isinstance(relation, str) else relation
    published = load_contract().tables.get(table)
    if published is not None and check_columns(
        published, zip(rel.columns, map(str, rel.types), strict=True), ordered=False
    ):
        published = None
    record = release_form_record(target)
    # A record describes the file written with it: none is left while the file is replaced.
    record.unlink(missing_ok=True)
    with atomic_target(target) as tmp:
        # Streamed from the query into the file: the rows are never held a second time in memory.
        if published is not None:
            write_release_form(rel, tmp, published)
        else:
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
        sha256 = file_sha256(tmp) if published is not None else None
    if published is not None:
        # Written after the file: a crash in between leaves no record, and a publish rewrites.
        atomic_write_json(
            record, {"release_form": release_form(published), "sha256": sha256, "rows": rows}
        )
    return target, rows
