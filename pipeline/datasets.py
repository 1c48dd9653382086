"""The datasets stage: `datasets` and `model_datasets` partitions of one day.

`datasets` is the day's dataset listing (raw/datasets/snapshot_date=D/, crawled like the models)
with licences normalised against the same reference as the models'. `model_datasets` resolves
each training dataset a model declares against it: `resolved`, `gated`, `renamed` (an id the
listing showed on an earlier day for the same `_id`), `missing` or `external` (a link to data
published elsewhere). A day without a dataset listing writes no `datasets` and marks every
declared dataset `unchecked`, so that no model of that day reaches `open_data` on an unchecked
claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipeline.hub.raw import RawSnapshot
from pipeline.licenses.build import load_license_map, load_license_reference
from pipeline.licenses.openness import install_macros
from pipeline.paths import Layout, literal_path
from pipeline.sql import connection, load_sql
from pipeline.storage import partition_dates, write_partition

STAGED_TABLE = "models_staged"
DATASETS = "datasets"
MODEL_DATASETS = "model_datasets"


@dataclass(frozen=True)
class DatasetsResult:
    checked: bool  # the day had a complete dataset listing
    datasets: int
    private_dropped: int
    model_datasets: int
    status_counts: dict[str, int]


def build_datasets(
    layout: Layout, snapshot_date: date, conn: duckdb.DuckDBPyConnection | None = None
) -> DatasetsResult:
    """Write `datasets` (when the day has a dataset listing) and `model_datasets` for one day."""
    staged = layout.table_partition(STAGED_TABLE, snapshot_date)
    if not staged.is_file():
        raise FileNotFoundError(f"no {STAGED_TABLE} partition for {snapshot_date}: {staged}")
    raw = RawSnapshot(layout.raw_datasets(snapshot_date))
    with connection(conn) as conn:
        conn.execute(
            load_sql("datasets/create_declared_datasets"), {"staged_path": literal_path(staged)}
        )
        if not raw.is_complete():
            stale = layout.table_partition(DATASETS, snapshot_date)
            # a rebuild after the listing's loss must not keep an older build's datasets
            stale.unlink(missing_ok=True)
            path, rows = write_partition(
                conn,
                layout,
                MODEL_DATASETS,
                snapshot_date,
                load_sql("datasets/model_datasets_unchecked"),
                allow_empty=True,
            )
            conn.execute("drop table declared_datasets")
            return DatasetsResult(False, 0, 0, rows, _status_counts(conn, path))
        load_license_reference(conn)
        install_macros(conn)
        pages = {"dataset_pages": [literal_path(p) for p in raw.page_files()]}
        conn.execute(load_sql("staging/create_json_timestamp_macro"))
        conn.execute(load_sql("datasets/load_raw_datasets"), pages)
        private = conn.execute(load_sql("datasets/count_private")).fetchone()[0]
        load_license_map(conn, "datasets/distinct_declarations")
        datasets_path, datasets = write_partition(
            conn,
            layout,
            DATASETS,
            snapshot_date,
            load_sql("datasets/datasets"),
            {"snapshot_date": snapshot_date},
        )
        history = [
            literal_path(layout.table_partition(DATASETS, day))
            for day in partition_dates(layout, DATASETS)
            if day <= snapshot_date
        ]
        path, rows = write_partition(
            conn,
            layout,
            MODEL_DATASETS,
            snapshot_date,
            load_sql("datasets/model_datasets"),
            {"datasets_path": literal_path(datasets_path), "dataset_history": history},
            allow_empty=True,
        )
        conn.execute("drop table if exists license_map")
        conn.execute("drop table if exists dataset_records")
        conn.execute("drop table declared_datasets")
        return DatasetsResult(True, datasets, private, rows, _status_counts(conn, path))


def _status_counts(conn: duckdb.DuckDBPyConnection, path: Path) -> dict[str, int]:
    sql = load_sql("datasets/count_statuses")
    return dict(conn.execute(sql, {"model_datasets_path": literal_path(path)}).fetchall())
