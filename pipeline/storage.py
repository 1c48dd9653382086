"""Writing partitions of Parquet tables safely.

Parquet is the record. A partition is written beside its final place and renamed into it, so a
reader sees the old file or the new one and never half of one; a write that would replace rows
with nothing is refused unless the caller says an empty partition is legitimate.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb

from pipeline.paths import Layout, literal_path

# Fixed writer settings so that the same rows give the same bytes on every run.
PARQUET_COMPRESSION = "zstd"
PARQUET_ROW_GROUP_SIZE = 122_880


class EmptyPartitionError(RuntimeError):
    """A write would have replaced a partition with no rows."""


def write_partition(
    conn: duckdb.DuckDBPyConnection,
    layout: Layout,
    table: str,
    snapshot_date: date,
    relation_sql: str,
    params: list | None = None,
    *,
    allow_empty: bool = False,
) -> tuple[Path, int]:
    """Write the rows of a `select` to one partition of `table`; return (path, rows).

    `relation_sql` is a query text from `sql/` (never assembled from data); `params` are bound.
    """
    target = layout.table_partition(table, snapshot_date)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A writer killed mid-write leaves its hidden temp file; the day's run lock means no other
    # writer of this partition is alive, so whatever is there now is debris.
    for stale in target.parent.glob(f".{target.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        # Streamed from the query into the file: the rows are never held a second time in memory.
        conn.sql(relation_sql, params=params or None).write_parquet(
            str(tmp),
            compression=PARQUET_COMPRESSION,
            row_group_size=PARQUET_ROW_GROUP_SIZE,
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
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target, rows
