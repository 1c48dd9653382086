"""History across snapshots: daily changes, counters, attribute history (SCD type 2), ecosystem
aggregates and the creation timeline (docs/HISTORY.md)."""

from pipeline.history.build import (
    CHANGE_KINDS,
    HISTORY_TABLES,
    HistoryGapError,
    HistoryInputError,
    HistoryResult,
    as_of,
    attribute_history,
    backfill_history,
    build_history,
)

__all__ = [
    "CHANGE_KINDS",
    "HISTORY_TABLES",
    "HistoryGapError",
    "HistoryInputError",
    "HistoryResult",
    "as_of",
    "attribute_history",
    "backfill_history",
    "build_history",
]
