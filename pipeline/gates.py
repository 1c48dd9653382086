"""Figures that decide whether a day may be released, compared with the previous snapshot.

A partial crawl, duplicated ids or a sudden jump in missing key fields are signs of a broken day;
the Dagster checks built on these figures are blocking, so such a day never replaces a good release.

Each "steady" gate compares a share measured on the day's models with the previous snapshot's.
Its limit is the full Hub's fixed limit plus what sampling noise makes plausible on that many
models: `NOISE_Z` standard errors of the difference of two proportions. On millions of models
the noise term is a fraction of a point and the fixed limit rules; on a few hundred models (one
family, a test world) a few models changing category move a share by points, and the gate
widens accordingly instead of stopping every small day.

An operator who reviewed a stopped day can accept a steady gate by name with a reason
(`hub-census run --accept-gate NAME --reason TEXT`, or the `gate_review` resource in Dagster):
the check is then reported as failed at warning severity, which does not block the release, and
the acceptance with its reason goes into the release manifest and the dataset card. The
integrity gates (duplicated ids, cycles) cannot be accepted: downstream stages rely on them.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipeline.paths import Layout, literal_path
from pipeline.sql import load_sql
from pipeline.storage import atomic_write_json, previous_date

# Shares chosen from how the real Hub moves: it grows by well under 1% a day and deletions are a
# small fraction of that, so a 10% fall in one day is a broken crawl, not the ecosystem.
MAX_MODEL_COUNT_DROP = 0.10
# A key column's share of nulls may move by this many points from one day to the next.
MAX_NULL_RATE_JUMP = 0.05
# Standard errors of sampling noise tolerated on top of a fixed limit: one-sided, a day of honest
# noise exceeds four of them about once in 30,000 evaluations.
NOISE_Z = 4.0

# Gates comparing the day with the previous snapshot: an operator may accept these after review.
ACCEPTABLE_GATES = (
    "model_count_steady",
    "key_null_rates_steady",
    "unknown_other_share_steady",
    "resolved_parent_share_steady",
)
# Gates whose failure breaks later stages (history refuses repeated ids; the ancestry walk must
# be acyclic): never accepted.
INTEGRITY_GATES = ("unique_model_ids", "no_cycle_in_ancestry")
GATES_DIR = "gates"
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
    cursor = conn.execute(
        load_sql("gates/profile_models_partition"),
        {"models_path": literal_path(layout.table_partition(table, day))},
    )
    names = [c[0] for c in cursor.description]
    row = dict(zip(names, cursor.fetchall()[0], strict=True))
    n = row["n_models"]
    rates = {c: (row[f"n_null_{c}"] / n if n else 1.0) for c in KEY_COLUMNS}
    return Profile(n, row["n_duplicate_ids"], rates)


def share_noise(previous_share: float, previous_n: int, share: float, n: int) -> float:
    """Standard error of the difference between two shares measured on `previous_n` and `n`
    models (pooled two-proportion test); 0 when either side has no models."""
    if previous_n <= 0 or n <= 0:
        return 0.0
    pooled = (previous_share * previous_n + share * n) / (previous_n + n)
    return math.sqrt(max(pooled * (1 - pooled), 0.0) * (1 / previous_n + 1 / n))


def allowed_move(limit: float, noise: float) -> float:
    """The fixed limit widened by the sampling noise of the two days' sizes."""
    return limit + NOISE_Z * noise


def share_gate(
    label: str,
    share: float,
    n: int,
    previous_share: float | None,
    previous_n: int,
    limit: float,
    *,
    falls: bool = False,
) -> GateResult:
    """Whether a share moved (up, or down when `falls`) by more than its limit plus the noise the
    two days' sizes make plausible."""
    metadata: dict = {"share": round(share, 4), "models": n}
    if previous_share is None:
        return GateResult(True, f"{label}: {share:.2%}; first snapshot in the series", metadata)
    move = (previous_share - share) if falls else (share - previous_share)
    allowed = allowed_move(limit, share_noise(previous_share, previous_n, share, n))
    metadata |= {
        "previous_share": round(previous_share, 4),
        "previous_models": previous_n,
        "move": round(move, 4),
        "allowed": round(allowed, 4),
    }
    direction = "fell" if falls else "rose"
    description = (
        f"{label}: {previous_share:.2%} of {previous_n:,} models → {share:.2%} of {n:,} "
        f"({direction} {max(move, 0.0):.2%} points; allowed {allowed:.2%}: "
        f"{limit:.0%} plus sampling noise at these sizes)"
    )
    return GateResult(move <= allowed, description, metadata)


def model_count_gate(today: Profile, previous: Profile | None) -> GateResult:
    if previous is None or previous.n_models == 0:
        return GateResult(True, "first snapshot in the series", {"models": today.n_models})
    change = (today.n_models - previous.n_models) / previous.n_models
    # The fall is the share of yesterday's models gone: binomial noise around the limit.
    noise = math.sqrt(MAX_MODEL_COUNT_DROP * (1 - MAX_MODEL_COUNT_DROP) / previous.n_models)
    allowed = allowed_move(MAX_MODEL_COUNT_DROP, noise)
    passed = -change <= allowed
    description = (
        f"{today.n_models:,} models against {previous.n_models:,} the previous snapshot "
        f"({change:+.1%}; a fall of more than {allowed:.1%} ({MAX_MODEL_COUNT_DROP:.0%} plus "
        "sampling noise at this size) means a partial crawl)"
    )
    return GateResult(
        passed,
        description,
        {
            "models": today.n_models,
            "previous": previous.n_models,
            "change": round(change, 4),
            "allowed_fall": round(allowed, 4),
        },
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
    results = {
        c: share_gate(
            c,
            today.null_rates[c],
            today.n_models,
            previous.null_rates[c],
            previous.n_models,
            MAX_NULL_RATE_JUMP,
        )
        for c in KEY_COLUMNS
    }
    bad = {c: r for c, r in results.items() if not r.passed}
    description = (
        "key columns' null rates are steady"
        if not bad
        else "null rate jumped: " + "; ".join(r.description for r in bad.values())
    )
    return GateResult(not bad, description, rates)


def partition_rows(conn: duckdb.DuckDBPyConnection, path: Path) -> int:
    sql = load_sql("gates/count_partition_rows")
    return conn.execute(sql, {"path": literal_path(path)}).fetchone()[0]


class GateAcceptanceError(ValueError):
    """An acceptance that cannot be honoured: unknown or integrity gate, or no reason given."""


def validate_acceptance(names: list[str], reason: str | None) -> None:
    for name in names:
        if name in INTEGRITY_GATES:
            raise GateAcceptanceError(
                f"gate {name!r} guards the data's integrity and cannot be accepted"
            )
        if name not in ACCEPTABLE_GATES:
            raise GateAcceptanceError(
                f"unknown gate {name!r}; gates that can be accepted: {', '.join(ACCEPTABLE_GATES)}"
            )
    if names and not (reason or "").strip():
        raise GateAcceptanceError("accepting a gate needs --reason saying what was reviewed")


@dataclass(frozen=True)
class GateRecord:
    """One gate's outcome for one day, kept so that the release can report acceptances."""

    gate: str
    passed: bool
    description: str
    # "accepted": failed and released by the operator; "unused": accepted although it passed
    acceptance: str | None = None
    reason: str | None = None


def judge(name: str, result: GateResult, accepted: list[str], reason: str | None) -> GateRecord:
    if name not in accepted:
        return GateRecord(name, result.passed, result.description)
    return GateRecord(
        name, result.passed, result.description, "unused" if result.passed else "accepted", reason
    )


def record_gate(layout: Layout, day: date, record: GateRecord) -> None:
    """Write the day's outcome of one gate (replacing an earlier run's) under `<root>/gates/`."""
    path = layout.root / GATES_DIR / day.isoformat() / f"{record.gate}.json"
    atomic_write_json(path, asdict(record), sort_keys=True)


def acceptances(layout: Layout, day: date) -> list[dict]:
    """The day's accepted (and accepted-but-unused) gates, by gate name."""
    directory = layout.root / GATES_DIR / day.isoformat()
    found = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("acceptance"):
            found.append(
                {k: record[k] for k in ("gate", "acceptance", "reason", "passed", "description")}
            )
    return found


def previous_to_compare(layout: Layout, table: str, day: date) -> tuple[date | None, str]:
    """The snapshot a gate compares `day` with, or None and why not.

    A subset not named as the day before's (`--subset`), a poorer era's source after a richer
    one, or the same bytes again, is not a new observation of the same Hub (see
    pipeline.provenance): a fall in counts or shares against it says nothing about the day's
    crawl, so such a day is checked on its own.
    """
    from pipeline.locks import wait_for_earlier_runs
    from pipeline.provenance import comparable

    # Judged while an earlier date is still being built, the day would be compared with the
    # snapshot before that one (the history stage waits for the same reason): wait for it, or
    # stop with EarlierDateBusyError (exit 4) rather than judge against the wrong day.
    wait_for_earlier_runs(layout, day, lambda message: print(message, file=sys.stderr, flush=True))
    previous = previous_date(layout, table, day)
    if previous is not None and comparable(layout, day, previous) is False:
        return None, (
            f"; not compared with {previous}: the day is a subset not named as that day's, its "
            "source is that day's bytes again, or it differs in coverage, shape or missing "
            "fields (snapshot_sources)"
        )
    return previous, ""
