"""The `models` table: one row per model per snapshot date, every column the project has.

It joins the staged row with its license and openness columns and its lineage columns, and
applies the rule that joins the two stages: a model is never more open than any of its ancestors
(an apache-2.0 fine-tune with weights and a paper is still only open weights if its base is).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from pipeline.licenses.openness import install_macros
from pipeline.paths import Layout, literal_path
from pipeline.sql import load_sql
from pipeline.storage import write_partition

TABLE = "models"
INPUTS = {
    "staged_path": "models_staged",
    "licenses_path": "model_licenses",
    "lineage_path": "model_lineage",
    "ancestry_path": "lineage_ancestry",
}


def build_models(
    layout: Layout, snapshot_date: date, conn: duckdb.DuckDBPyConnection
) -> tuple[Path, int]:
    """Write the day's `models` partition from the stages before it; return (path, rows)."""
    params = {}
    for name, table in INPUTS.items():
        path = layout.table_partition(table, snapshot_date)
        if not path.is_file():
            raise FileNotFoundError(f"no {table} partition for {snapshot_date}: {path}")
        params[name] = literal_path(path)
    install_macros(conn)
    return write_partition(conn, layout, TABLE, snapshot_date, load_sql("models/models"), params)


def openness_tier_counts(conn: duckdb.DuckDBPyConnection, path: Path) -> dict[str, int]:
    """Models per openness tier in one written `models` partition."""
    sql = load_sql("models/count_openness_tiers")
    return dict(conn.execute(sql, {"path": literal_path(path)}).fetchall())
