"""The licences stage: `licenses` reference table and `model_licenses` partitions.

Normalising millions of models row by row in Python would take minutes; the declarations repeat
heavily (a few thousand distinct ones among millions of models), so each distinct declaration is
normalised once in Python, the mapping is loaded into DuckDB and joined to the models in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipeline.licenses.normalize import (
    Declaration,
    load_reference,
    normalize_declaration,
    seeds_dir,
)
from pipeline.licenses.openness import install_macros
from pipeline.paths import Layout, literal_path
from pipeline.provenance import day_source
from pipeline.sql import connection, load_sql
from pipeline.storage import write_partition

STAGED_TABLE = "models_staged"
TABLE = "model_licenses"

MAP_COLUMNS = (
    "license_tags",
    "card_license",
    "card_license_name",
    "card_license_link",
    "license_raw",
    "license_ids",
    "license_id",
    "license_category",
    "license_osi_approved",
    "license_commercial_use",
    "license_source",
    "license_is_family",
    "license_unresolved",
    "license_conflict",
    "linked_repo",
)


@dataclass(frozen=True)
class LicenseResult:
    path: Path
    rows: int
    distinct_declarations: int
    category_counts: dict[str, int]


def load_license_reference(conn: duckdb.DuckDBPyConnection, seeds: Path | None = None) -> int:
    """Create tables `license_categories` and `licenses` from the seeds; return licence rows."""
    seeds = seeds or seeds_dir()
    categories_csv = {"license_categories_csv": literal_path(seeds / "license_categories.csv")}
    licenses_csv = {"licenses_csv": literal_path(seeds / "licenses.csv")}
    conn.execute(load_sql("licenses/load_license_categories"), categories_csv)
    conn.execute(load_sql("licenses/load_licenses"), licenses_csv)
    missing = conn.execute(load_sql("licenses/licenses_without_category"), licenses_csv).fetchone()[
        0
    ]
    if missing:
        raise ValueError(
            f"{missing} rows of licenses.csv have a category not in the categories seed"
        )
    return conn.execute(load_sql("licenses/count_licenses")).fetchone()[0]


def load_license_map(
    conn: duckdb.DuckDBPyConnection, declarations: str, params: dict[str, object] | None = None
) -> int:
    """Normalise each distinct declaration the query `declarations` (bound with `params`)
    returns once; load them as `license_map`."""
    ref = load_reference()
    columns: dict[str, list] = {name: [] for name in MAP_COLUMNS}
    for tags, card, name, link in conn.execute(load_sql(declarations), params).fetchall():
        n = normalize_declaration(Declaration.of(tags, card, name, link), ref)
        values = (
            tags,
            card,
            name,
            link,
            n.license_raw,
            list(n.license_ids),
            n.license_id,
            n.license_category,
            n.license_osi_approved,
            n.license_commercial_use,
            n.license_source,
            n.license_is_family,
            list(n.license_unresolved),
            n.license_conflict,
            n.linked_repo,
        )
        for column, value in zip(MAP_COLUMNS, values, strict=True):
            columns[column].append(value)
    # Bound as list parameters: no DataFrame library is needed for a table of a few thousand rows.
    conn.execute(load_sql("licenses/load_license_map"), columns)
    return len(columns["license_raw"])


def build_model_licenses(
    layout: Layout, snapshot_date: date, conn: duckdb.DuckDBPyConnection | None = None
) -> LicenseResult:
    """Write `model_licenses` for one snapshot date from that date's `models_staged` partition."""
    staged = layout.table_partition(STAGED_TABLE, snapshot_date)
    if not staged.is_file():
        raise FileNotFoundError(f"no {STAGED_TABLE} partition for {snapshot_date}: {staged}")
    with connection(conn) as conn:
        # open_data needs the declared datasets resolved (pipeline/datasets.py), never assumed:
        # a caller that has not run that stage gets it run here
        model_datasets = layout.table_partition("model_datasets", snapshot_date)
        if not model_datasets.is_file():
            from pipeline.datasets import build_datasets

            build_datasets(layout, snapshot_date, conn)
        load_license_reference(conn)
        install_macros(conn)
        staged_path = {"staged_path": literal_path(staged)}
        distinct = load_license_map(conn, "licenses/distinct_declarations", staged_path)
        # a day without a snapshot_sources partition (a stage run on its own) is taken as the
        # whole Hub, as the operator's default coverage
        source = day_source(layout, snapshot_date)
        inputs = staged_path | {
            "model_datasets_path": literal_path(model_datasets),
            "whole_hub": source is None or source.coverage != "subset",
        }
        path, rows = write_partition(
            conn, layout, TABLE, snapshot_date, load_sql("licenses/model_licenses"), inputs
        )
        written = {"model_licenses_path": literal_path(path)}
        counts = dict(conn.execute(load_sql("licenses/count_categories"), written).fetchall())
        conn.execute("drop table if exists license_map")
        return LicenseResult(path, rows, distinct, counts)


def unknown_other_share(
    layout: Layout, snapshot_date: date, conn: duckdb.DuckDBPyConnection | None = None
) -> float:
    """Share of that day's models whose licence category is `unknown-other` (0.0 to 1.0)."""
    path = layout.table_partition(TABLE, snapshot_date)
    if not path.is_file():
        raise FileNotFoundError(f"no {TABLE} partition for {snapshot_date}: {path}")
    with connection(conn) as conn:
        _models, share = conn.execute(
            load_sql("licenses/unknown_other_share"), {"model_licenses_path": literal_path(path)}
        ).fetchone()
        return float(share)
