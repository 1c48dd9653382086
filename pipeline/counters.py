"""Community counter series folded into a per-model daily series (`history/counter_series/`).

Archives of the Hub's counters are files of one row per model per day, with gaps: a model missing
on a day was not recorded, not at zero. The accepted shape (CSV with a header, or Parquet):

    model_id            the model id (also `modelId`, `id`, `model`)
    date                the UTC day observed (also `day`, `snapshot_date`; ISO dates or timestamps)
    downloads           the Hub's 30-day download figure as shown that day (optional)
    downloads_all_time  the cumulative download counter (also `downloadsAllTime`; optional)
    likes               likes that day (optional)

At least one counter column must be present. A file with a row that is not such an observation
(sql/counters/counter_problems.sql) is refused whole. Each fold merges the file's observations
with those already folded (a later file wins for the same model and day) and rewrites the series:
every day from a model's first to its last observation, with `observed` false and null counters
on the days no file recorded. Downloads over a past window are the difference of the all-time
counter at its ends (`downloads_all_time_delta` between consecutive observations), null when an
end is a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
from duckdb import ColumnExpression, ConstantExpression

from pipeline.clock import utc_today
from pipeline.paths import Layout, literal_path
from pipeline.provenance import FIRST_SNAPSHOT_DATE
from pipeline.sql import load_sql
from pipeline.storage import atomic_target, file_sha256

TABLE = "counter_series"
# canonical column -> the spellings accepted, matched case-insensitively
COLUMNS = {
    "model_id": ("model_id", "modelid", "id", "model"),
    "counter_date": ("date", "day", "snapshot_date"),
    "downloads": ("downloads", "downloads_30d"),
    "downloads_all_time": ("downloads_all_time", "downloadsalltime"),
    "likes": ("likes",),
}
COUNTERS = ("downloads", "downloads_all_time", "likes")


class CounterFileError(ValueError):
    """The counter file cannot be folded; nothing was written."""


@dataclass(frozen=True)
class FoldResult:
    path: Path
    rows: int
    observed: int
    models: int
    gap_days: int


def series_path(layout: Layout) -> Path:
    return layout.history(TABLE) / "data.parquet"


def _read(conn: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    try:
        if path.suffix == ".parquet":
            return conn.read_parquet(literal_path(path))
        return conn.read_csv(literal_path(path), header=True, all_varchar=True)
    except duckdb.Error as exc:
        raise CounterFileError(f"cannot read counter file {path}: {exc}") from None


def _canonical(rel: duckdb.DuckDBPyRelation, path: Path) -> duckdb.DuckDBPyRelation:
    by_lower = {c.lower(): c for c in rel.columns}
    exprs = []
    for canonical, spellings in COLUMNS.items():
        actual = next((by_lower[s] for s in spellings if s in by_lower), None)
        if actual is None and canonical in ("model_id", "counter_date"):
            raise CounterFileError(
                f"{path.name} has no {canonical.removeprefix('counter_')} column "
                f"(one of {', '.join(spellings)}); it has {', '.join(rel.columns)}"
            )
        exprs.append(
            ColumnExpression(actual).alias(canonical)
            if actual
            else ConstantExpression(None).alias(canonical)
        )
    if not any(s in by_lower for c in COUNTERS for s in COLUMNS[c]):
        raise CounterFileError(
            f"{path.name} has no counter column (downloads, downloads_all_time or likes)"
        )
    return rel.select(*exprs)


def _example(model_id: str | None, date_text: str | None, value: str | None) -> str:
    """The first offending row, as text safe on a terminal: the file's values are quoted with
    escapes (`ascii`), so a control character in them cannot act on the reader's screen."""
    shown = [f"model {_quoted(model_id)}", f"date {_quoted(date_text)}"]
    if value is not None:
        column, _, text = value.partition(" ")
        shown.append(f"{column} {_quoted(text)}")
    return "first: " + ", ".join(shown)


def _quoted(text: str | None, limit: int = 60) -> str:
    if text is None:
        return "none"
    return ascii(text if len(text) <= limit else text[:limit] + "…")


def fold_counters(layout: Layout, path: Path) -> FoldResult:
    """Fold one counter file into `history/counter_series/data.parquet` (see module doc)."""
    if not path.is_file():
        raise CounterFileError(f"no such counter file: {path}")
    target = series_path(layout)
    with duckdb.connect() as conn:
        _canonical(_read(conn, path), path).create_view("counter_file")
        conn.sql(load_sql("counters/read_counter_file")).select(
            "*",
            ConstantExpression(path.name).alias("source_name"),
            ConstantExpression(file_sha256(path)).alias("source_sha256"),
        ).create("counter_new")
        conn.execute(load_sql("staging/create_unsafe_model_id_macro"))
        problems = conn.execute(
            load_sql("counters/counter_problems"),
            {"first_date": FIRST_SNAPSHOT_DATE, "today": utc_today()},
        ).fetchall()
        if problems:
            shown = "; ".join(f"{why}: {n:,} ({_example(*first)})" for why, n, *first in problems)
            raise CounterFileError(f"{path.name} cannot be folded: {shown}")
        if target.is_file():
            conn.read_parquet(literal_path(target)).filter("observed").create_view("counter_old")
        else:
            conn.table("counter_new").limit(0).create_view("counter_old")
        with atomic_target(target) as tmp:
            conn.sql(load_sql("counters/counter_series")).write_parquet(
                str(tmp), compression="zstd"
            )
            rows, observed, models = conn.execute(
                load_sql("counters/count_series"), {"path": literal_path(tmp)}
            ).fetchone()
    return FoldResult(target, rows, observed, models, rows - observed)
