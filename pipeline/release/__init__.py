"""Versioned, immutable, atomic releases of the warehouse tables, and the catalog to query them.

publish_release(layout, date, pipeline_version=..., source_commit=...)  -> ReleaseResult
    (the release, pipeline.release.publish, then the catalog, pipeline.release.catalog)
query(sql, root) / main_query(root, sql, csv=None, parquet=None)        the DuckDB catalog
load_table(name, date=None, root=None, engine="polars" | "duckdb")      for notebooks
"""

from pipeline.release.catalog import (
    NoReleaseError,
    QueryRefusedError,
    connect,
    load_history,
    load_table,
    main_query,
    query,
    rebuild_catalog,
    refresh_catalog,
)
from pipeline.release.manifest import latest_release_date, release_dates, verify_release
from pipeline.release.publish import (
    MissingTableError,
    ReleaseExistsError,
    ReleaseResult,
    write_release,
)
from pipeline.release.steps import publish_release

__all__ = [
    "MissingTableError",
    "NoReleaseError",
    "QueryRefusedError",
    "ReleaseExistsError",
    "ReleaseResult",
    "connect",
    "latest_release_date",
    "load_history",
    "load_table",
    "main_query",
    "publish_release",
    "query",
    "rebuild_catalog",
    "refresh_catalog",
    "release_dates",
    "verify_release",
    "write_release",
]
