"""Figures that decide whether a day may be released, compared with the previous snapshot.

A partial crawl, duplicated ids or a sudden jump in missing key fields are signs of a broken day;
the Dagster checks built on these figures are blocking, so such a day never replaces a good release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from pipeline.paths import Layout
from pipeline.sql import load_sql

# Shares chosen from how the real Hub moves: it grows by well under 1% a day and deletions are a
# small fraction of that, so a 10% fall in one day is a broken crawl, not the ecosystem.
MAX_MODEL_COUNT_DROP = 0.10
# A key column's share of nulls may move by this many points from one day to the next.
MAX_NULL_RATE_JUMP = 0.05
KEY_COLUMNS = ("model_id", "hub_id", "created_at", "author")


@dataclass(frozen=True)
class Profile:
    n_models: int
    n_duplicate_ids: int
    null_rates: dict[str, float]


@dataclass(frozen=True)
class GateResult:
    passed: bool
    description: str
    metadata: dict


def profile(conn: duckdb.DuckDBPyConnection, layout: Layout, table: str, day: date) -> Profile:
    conn.execute("set variable models_path = ?", [str(layout.table_partition(table, day))])
    cursor = conn.execute(load_sql("gates/profile_models_partition"))
    names = [c[0] for c in cursor.description]
    row = dict(zip(names, cursor.fetchall()[0], strict=True))
    n = row["n_models"]
    rates = {c: (row[f"n_null_{c}"] / n if n else 1.0) for c in KEY_COLUMNS}
    return Profile(n, row["n_duplicate_ids"], rates)


def model_count_gate(today: Profile, previous: Profile | None) -> GateResult:
    if previous is None or previous.n_models == 0:
        return GateResult(True, "first snapshot in the series", {"models": today.n_models})
    change = (today.n_models - previous.n_models) / previous.n_models
    passed = change >= -MAX_MODEL_COUNT_DROP
    description = (
        f"{today.n_models:,} models against {previous.n_models:,} the previous snapshot "
        f"({change:+.1%}; a fall of more than {MAX_MODEL_COUNT_DROP:.0%} means a partial crawl)"
    )
    return GateResult(
        passed,
        description,
        {"models": today.n_models, "previous": previous.n_models, "change": round(change, 4)},
    )


def unique_ids_gate(today: Profile) -> GateResult:
    passed = today.n_duplicate_ids == 0
    return GateResult(
        passed,
        "model ids are unique" if passed else f"{today.n_duplicate_ids:,} duplicated model ids",
        {"duplicate_ids": today.n_duplicate_ids},
    )


def null_rate_gate(today: Profile, previous: Profile | None) -> GateResult:
    rates = {f"null_rate_{c}": round(r, 4) for c, r in today.null_rates.items()}
    if previous is None:
        return GateResult(True, "first snapshot in the series", rates)
    jumps = {c: today.null_rates[c] - previous.null_rates[c] for c in KEY_COLUMNS}
    bad = {c: j for c, j in jumps.items() if j > MAX_NULL_RATE_JUMP}
    description = (
        "key columns' null rates are steady"
        if not bad
        else "null rate jumped: "
        + ", ".join(f"{c} +{j:.1%}" for c, j in bad.items())
        + f" (limit +{MAX_NULL_RATE_JUMP:.0%} a day)"
    )
    return GateResult(not bad, description, rates)


def previous_to_compare(layout: Layout, table: str, day: date) -> tuple[date | None, str]:
    """The snapshot a gate compares `day` with, or None and why not.

    A subset after the whole Hub, or a poorer era's source after a richer one, is a change of
    source (see pipeline.provenance): a fall in counts or shares against it says nothing about
    the day's crawl, so such a day is checked on its own.
    """
    from pipeline.provenance import comparable

    previous = layout.previous_partition(table, day)
    if previous is not None and comparable(layout, day, previous) is False:
        return None, (
            f"; not compared with {previous}, whose source differs in coverage, shape or "
            "missing fields (snapshot_sources)"
        )
    return previous, ""


def describe_share(
    label: str, share: float, previous_day: date | None, previous: float | None
) -> str:
    text = f"{label}: {share:.2%}"
    if previous_day is not None and previous is not None:
        text += f", previous snapshot ({previous_day}) {previous:.2%}"
    return text
