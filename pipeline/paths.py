"""Where everything lives under the output root.

One layout for every stage, so that the CLI, the Dagster assets, the tests and the release writer
agree on paths without passing them around:

    <root>/raw/models/snapshot_date=YYYY-MM-DD/     pages of the crawl, exactly as received
    <root>/warehouse/<table>/snapshot_date=YYYY-MM-DD/data.parquet
    <root>/releases/YYYY-MM-DD/                      published, immutable releases
    <root>/history/<table>/day=YYYY-MM-DD/data.parquet  the time-series view across releases
    <root>/.spill/                                   DuckDB's temporary files while a step runs
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DEFAULT_ROOT = Path("datasets")
ROOT_ENV = "HUB_CENSUS_ROOT"


def default_root() -> Path:
    return Path(os.environ.get(ROOT_ENV, DEFAULT_ROOT))


def literal_path(path: Path | str) -> str:
    """`path` as DuckDB's file readers match it exactly, and nothing else.

    DuckDB expands `*`, `?` and `[...]` in every path it reads, even one naming a single file, so
    an output root such as `out[x]` would match `outx` (or nothing) and `out*` every sibling.
    Each such character goes into a one-character class (`[*]`), which matches only itself;
    `]`, `{`, `}` and spaces are literal already. Files DuckDB writes take plain paths.
    """
    return re.sub(r"[\[*?]", lambda m: f"[{m.group()}]", str(path))


# The key of every dated folder under raw/ and warehouse/.
PARTITION_KEY = "snapshot_date"


def partition_dir_name(snapshot_date: date) -> str:
    return f"{PARTITION_KEY}={snapshot_date.isoformat()}"


# The key of `history/`'s folders. Not `snapshot_date`: that is a column of every file, and a
# key repeated between the path and the file makes pandas, pyarrow and Spark refuse the
# directory. The files keep their `snapshot_date` column (a DATE in every reader, and the one
# `datasets` sees, since it ignores folder keys), so a history file is byte for byte the
# release's file.
HISTORY_KEY = "day"


def history_dir_name(snapshot_date: date) -> str:
    return f"{HISTORY_KEY}={snapshot_date.isoformat()}"


@dataclass(frozen=True)
class Layout:
    """Paths under one output root."""

    root: Path

    def raw_models(self, snapshot_date: date) -> Path:
        return self.root / "raw" / "models" / partition_dir_name(snapshot_date)

    def raw_datasets(self, snapshot_date: date) -> Path:
        return self.root / "raw" / "datasets" / partition_dir_name(snapshot_date)

    def table_dir(self, table: str) -> Path:
        return self.root / "warehouse" / table

    def table_partition(self, table: str, snapshot_date: date) -> Path:
        return self.table_dir(table) / partition_dir_name(snapshot_date) / "data.parquet"

    def table_glob(self, table: str) -> str:
        return literal_path(self.table_dir(table)) + f"/{PARTITION_KEY}=*/data.parquet"

    def releases(self) -> Path:
        return self.root / "releases"

    def release(self, snapshot_date: date) -> Path:
        return self.releases() / snapshot_date.isoformat()

    def history(self, table: str) -> Path:
        return self.root / "history" / table

    def history_partition(self, table: str, snapshot_date: date) -> Path:
        return self.history(table) / history_dir_name(snapshot_date) / "data.parquet"

    def history_glob(self, table: str) -> str:
        """The history files of `table` as a DuckDB pattern: only the day key is a wildcard."""
        return literal_path(self.history(table)) + f"/{HISTORY_KEY}=*/data.parquet"

    def catalog(self) -> Path:
        return self.root / "catalog.duckdb"

    def spill(self) -> Path:
        """Where DuckDB writes what does not fit in its memory limit. In the root, not in the
        working directory (DuckDB's default), which under a scheduler may be anywhere."""
        return self.root / ".spill"
