"""What changed between two snapshots, and how the ecosystem grows (issue 7).

Day D is compared with the most recent earlier `models` partition (the previous snapshot, possibly
several days back). Each output partition is a function of those two partitions, except the
creation timeline, which adds D's moves to the previous snapshot's timeline (or counts every model
when there is none, with the same result). So a day can be rebuilt at any time and rebuilding past
days in date order reproduces the original runs. The work per day does not grow with the length of
the series, and after the first day it is mostly the day's delta.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipeline.lineage.build import ALIASES_TABLE
from pipeline.paths import Layout, literal_path
from pipeline.provenance import comparable, day_source
from pipeline.sql import connection, load_sql
from pipeline.storage import (
    partition_dates,
    previous_date,
    read_stamp,
    stale_dates,
    write_basis,
    write_partition,
    write_stamp,
)

MODELS = "models"
MODEL_CHANGES = "model_changes"
MODEL_COUNTERS = "model_counters"
MODEL_ATTRIBUTE_HISTORY = "model_attribute_history"
ECOSYSTEM_DAILY = "ecosystem_daily"
CREATION_TIMELINE = "creation_timeline"

HISTORY_TABLES = (
    MODEL_CHANGES,
    MODEL_COUNTERS,
    MODEL_ATTRIBUTE_HISTORY,
    ECOSYSTEM_DAILY,
    CREATION_TIMELINE,
)

# Each day records the previous snapshot its history compared with, and which build of it
# (stale_history_dates), in warehouse/_history_basis/<date>.json.
BASIS_STEP = "history"

TIMELINE_DIMENSIONS = ("all", "family", "license_category", "relation")

# staging's per-day table of which source fields the day's records carried (when it wrote one)
FIELD_COVERAGE = "field_coverage"

CHANGE_KINDS = (
    "baseline",
    "added",
    "removed",
    "renamed",
    "license_changed",
    "base_changed",
    "gated_changed",
    "pipeline_tag_changed",
    "library_changed",
)

# The columns of `models` that history reads; a partition lacking one is refused by name.
REQUIRED_COLUMNS = (
    "model_id",
    "hub_id",
    "is_private",
    "created_at",
    "created_at_is_placeholder",
    "downloads_30d",
    "downloads_all_time",
    "likes",
    "pipeline_tag",
    "library_name",
    "gated",
    "license_id",
    "license_category",
    "openness_tier",
    "base_models",
    "base_relation",
    "family",
)


class HistoryInputError(ValueError):
    """A `models` partition history cannot use (missing, lacking columns, duplicated models)."""


class HistoryGapError(RuntimeError):
    """Attribute history was asked for across a snapshot whose history was never built."""


@dataclass(frozen=True)
class HistoryResult:
    snapshot_date: date
    previous_snapshot_date: date | None
    days_since_previous: int | None
    rows: dict[str, int] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    # how creation_timeline was built: "incremental" (previous timeline + the day's moves) or
    # "full" (every model), with the reason when an increment was refused
    timeline_mode: str = "full"

    @property
    def is_baseline(self) -> bool:
        return self.previous_snapshot_date is None


def build_history(
    layout: Layout, snapshot_date: date, conn: duckdb.DuckDBPyConnection | None = None
) -> HistoryResult:
    """Write every history table's partition for `snapshot_date`."""
    with connection(conn) as con:
        current = layout.table_partition(MODELS, snapshot_date)
        if not current.is_file():
            raise HistoryInputError(f"no models partition for {snapshot_date}: {current}")
        previous_day = previous_date(layout, MODELS, snapshot_date)
        # read before the previous day's tables: a rebuild of it from now on makes this day stale
        previous_stamp = read_stamp(layout, previous_day)
        previous = layout.table_partition(MODELS, previous_day) if previous_day else None
        # A field one of the two sources lacked cannot say what changed: such a source's rows are
        # matched by id, and attributes it lacked are not compared (docs/HISTORY.md, "Across eras").
        _check_columns(con, current)
        if previous is not None:
            _check_columns(con, previous)
        fields = _source_fields(con, layout, snapshot_date, current)
        if previous is not None:
            prev_fields = _source_fields(con, layout, previous_day, previous)
            fields = {name: has and prev_fields[name] for name, has in fields.items()}
        match_by_id = not fields["has_id"]
        # Four steps read the joined snapshots: join them once. The first snapshot has nothing to
        # join with, so there it is a view that streams the snapshot to each step.
        joined_kind = "table" if previous else "view"
        try:
            _open_snapshot(con, "hist_curr", current, match_by_id=match_by_id)
            _open_snapshot(
                con,
                "hist_prev",
                previous or current,
                present=previous is not None,
                match_by_id=match_by_id,
            )
            # A previous snapshot whose history was built was checked then, as a day of its own.
            check_prev = previous_day is not None and not history_complete(layout, previous_day)
            dupes = con.execute(load_sql("history/duplicate_keys"), {"check_prev": check_prev})
            dupes = dupes.fetchall()
            if dupes:
                shown = ", ".join(f"{key} x{n} ({side})" for side, key, n in dupes)
                raise HistoryInputError(f"models partitions repeat models: {shown}")
            # Each statement is bound with the values it reads, and only those.
            dates = {"snapshot_date": snapshot_date, "previous_snapshot_date": previous_day}
            source = day_source(layout, snapshot_date)
            table_params = {
                MODEL_CHANGES: dates
                | {
                    "compare_license": fields["has_card_data"],
                    "compare_base": fields["has_card_data"],
                    "compare_gated": fields["has_gated"],
                },
                MODEL_COUNTERS: dates,
                MODEL_ATTRIBUTE_HISTORY: dates,
                ECOSYSTEM_DAILY: dates
                | {
                    "coverage": source.coverage if source else None,
                    "comparable_to_previous": comparable(layout, snapshot_date, previous_day),
                },
            }
            joined_sql = "join_snapshots" if previous else "first_snapshot"
            con.execute(
                f"create or replace temp {joined_kind} hist_joined as "
                + load_sql(f"history/{joined_sql}")
            )
            con.execute(
                "create or replace temp table hist_delta_keys as " + load_sql("history/delta_keys"),
                {"previous_snapshot_date": previous_day},
            )
            con.execute(
                "create or replace temp table hist_pairs as " + load_sql("history/pair_snapshots")
            )
            _load_aliases(con, layout, snapshot_date, previous_day)
            con.execute(
                "create or replace temp table hist_parent_changes as "
                + load_sql("history/parent_changes")
            )
            rows: dict[str, int] = {}
            paths: dict[str, Path] = {}
            for table, sql_name in (
                (MODEL_CHANGES, "history/model_changes"),
                (MODEL_COUNTERS, "history/model_counters"),
                (MODEL_ATTRIBUTE_HISTORY, "history/attribute_versions"),
                (ECOSYSTEM_DAILY, "history/ecosystem_daily"),
            ):
                # A day on which nothing changed has no change rows and opens no attribute
                # version: for those two tables an empty partition is the truth.
                paths[table], rows[table] = write_partition(
                    con,
                    layout,
                    table,
                    snapshot_date,
                    load_sql(sql_name),
                    table_params[table],
                    allow_empty=table in (MODEL_CHANGES, MODEL_ATTRIBUTE_HISTORY),
                )
            previous_timeline = (
                layout.table_partition(CREATION_TIMELINE, previous_day) if previous_day else None
            )
            paths[CREATION_TIMELINE], rows[CREATION_TIMELINE], timeline_mode = _write_timeline(
                con, layout, snapshot_date, previous_timeline, public_models=rows[MODEL_COUNTERS]
            )
            changes = dict(
                con.execute(
                    load_sql("history/count_changes"),
                    {"changes_path": literal_path(paths[MODEL_CHANGES])},
                ).fetchall()
            )
        finally:
            for kind, name in (
                ("view", "hist_timeline_input"),
                ("table", "hist_timeline_base"),
                ("table", "hist_parent_changes"),
                ("table", "hist_aliases"),
                ("table", "hist_pairs"),
                ("table", "hist_delta_keys"),
                (joined_kind, "hist_joined"),
                ("view", "hist_prev"),
                ("view", "hist_curr"),
            ):
                con.execute(f"drop {kind} if exists {name}")
    write_basis(layout, BASIS_STEP, snapshot_date, previous_day, previous_stamp)
    write_stamp(layout, snapshot_date)
    return HistoryResult(
        snapshot_date=snapshot_date,
        previous_snapshot_date=previous_day,
        days_since_previous=(snapshot_date - previous_day).days if previous_day else None,
        rows=rows,
        paths=paths,
        changes={kind: changes.get(kind, 0) for kind in CHANGE_KINDS},
        timeline_mode=timeline_mode,
    )


def stale_history_dates(layout: Layout) -> list[date]:
    """Days whose history was built against another previous snapshot than the one they have
    now, or against an older build of it: an earlier date's `models` arrived after their history
    was built (runs side by side, or a date filled in later), or that date was built again.
    Oldest first."""
    return [day for day in stale_dates(layout, BASIS_STEP, MODELS) if history_complete(layout, day)]


def backfill_history(
    layout: Layout,
    until: date | None = None,
    conn: duckdb.DuckDBPyConnection | None = None,
    *,
    rebuild: bool = False,
) -> list[HistoryResult]:
    """Build history for every `models` partition up to `until`, oldest first.

    Without `rebuild`, days whose history is complete are left as they are.
    """
    built = []
    with connection(conn) as con:
        for day in partition_dates(layout, MODELS):
            if until is not None and day > until:
                break
            if not rebuild and history_complete(layout, day):
                continue
            built.append(build_history(layout, day, con))
    return built


def attribute_history(
    layout: Layout, conn: duckdb.DuckDBPyConnection, until: date | None = None
) -> duckdb.DuckDBPyRelation:
    """SCD type 2 of each model's id, licence, parents, gating, task and library.

    Built from the history partitions of every snapshot up to `until` (default: all); `valid_to`
    is exclusive and null for versions still valid at the last of those snapshots.
    """
    return _attribute_history(layout, conn, until, as_of_day=None)


def as_of(layout: Layout, day: date, conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """The ecosystem as of `day`: every public model's attribute version valid on that day.

    A day between two snapshots answers with the earlier snapshot's state; a day before the first
    snapshot answers with no rows.
    """
    return _attribute_history(layout, conn, day, as_of_day=day)


def _attribute_history(
    layout: Layout, conn: duckdb.DuckDBPyConnection, until: date | None, as_of_day: date | None
) -> duckdb.DuckDBPyRelation:
    dates = [d for d in partition_dates(layout, MODELS) if until is None or d <= until]
    built = set(partition_dates(layout, MODEL_ATTRIBUTE_HISTORY))
    missing = [d for d in dates if d not in built]
    if missing:
        shown = ", ".join(d.isoformat() for d in missing[:5])
        raise HistoryGapError(
            f"attribute history is missing for {len(missing)} snapshot(s) ({shown}); "
            "build them in date order first (backfill_history)"
        )
    if not built:
        raise HistoryGapError(f"no attribute history under {layout.root}")
    # before the first snapshot: read the first partition, whose versions all start later
    read = dates or [min(built)]
    paths = [literal_path(layout.table_partition(MODEL_ATTRIBUTE_HISTORY, d)) for d in read]
    return conn.sql(
        load_sql("history/attribute_history"),
        params={"history_paths": paths, "until": until, "as_of_day": as_of_day},
    )


def _write_timeline(
    conn: duckdb.DuckDBPyConnection,
    layout: Layout,
    day: date,
    previous_timeline: Path | None,
    *,
    public_models: int,
) -> tuple[Path, int, str]:
    """Write creation_timeline for `day`: the previous snapshot's timeline plus the day's moves
    when it exists, every model otherwise; return its path, rows and how it was built.

    Every dimension must count each of the day's `public_models` once; an increment that does
    not is replaced by the full count rather than carried into the following days.
    """
    expected = dict.fromkeys(TIMELINE_DIMENSIONS, public_models)
    mode = "full"
    if previous_timeline is not None and previous_timeline.is_file():
        path, n_rows, totals = _count_timeline(conn, layout, day, previous_timeline)
        if totals == expected:
            return path, n_rows, "incremental"
        mode = f"full (the increment on {previous_timeline.parent.name} did not add up)"
    path, n_rows, totals = _count_timeline(conn, layout, day, None)
    if totals != expected:
        raise RuntimeError(
            f"creation_timeline for {day} does not count the day's {public_models:,} public "
            f"models once per dimension: {totals}"
        )
    return path, n_rows, mode


def _count_timeline(
    conn: duckdb.DuckDBPyConnection, layout: Layout, day: date, base: Path | None
) -> tuple[Path, int, dict[str, int]]:
    """Write the timeline from `base` plus the day's moves, or from every model without one;
    return its path, rows and the models each dimension counts."""
    conn.execute(load_sql("history/create_timeline_base"))
    if base is not None:
        conn.execute(load_sql("history/load_timeline_base"), {"path": literal_path(base)})
    source = "timeline_models" if base is None else "timeline_changes"
    conn.execute(
        "create or replace temp view hist_timeline_input as " + load_sql(f"history/{source}")
    )
    path, n_rows = write_partition(
        conn,
        layout,
        CREATION_TIMELINE,
        day,
        load_sql("history/creation_timeline"),
        {"snapshot_date": day},
    )
    totals = conn.execute(
        load_sql("history/timeline_totals"), {"path": literal_path(path)}
    ).fetchall()
    return path, n_rows, dict(totals)


def _load_aliases(
    conn: duckdb.DuckDBPyConnection, layout: Layout, day: date, previous_day: date | None
) -> None:
    """The lineage stage's old ids of D and P, when it wrote them (history also runs on bare
    `models` partitions, where a parent named by an id it gave up stays that id)."""
    conn.execute(load_sql("history/create_aliases"))
    for side, when in (("curr", day), ("prev", previous_day)):
        path = layout.table_partition(ALIASES_TABLE, when) if when else None
        if path is not None and path.is_file():
            conn.execute(
                load_sql("history/load_aliases"), {"path": literal_path(path), "side": side}
            )


def history_complete(layout: Layout, day: date) -> bool:
    return all(layout.table_partition(t, day).is_file() for t in HISTORY_TABLES)


def _source_fields(
    conn: duckdb.DuckDBPyConnection, layout: Layout, day: date, models: Path
) -> dict[str, bool]:
    """Whether the source of `day` carried `_id`, `cardData` and `gated`: from staging's
    field_coverage partition when there is one, else from the `models` partition itself (a
    column null on every row)."""
    coverage = layout.table_partition(FIELD_COVERAGE, day)
    sql, path = (
        ("history/source_fields_coverage", coverage)
        if coverage.is_file()
        else ("history/source_fields", models)
    )
    try:
        cursor = conn.execute(load_sql(sql), {"path": literal_path(path)})
    except duckdb.Error as exc:
        raise HistoryInputError(f"cannot read {path}: {exc}") from exc
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchall()[0], strict=True))


def _check_columns(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a `models` partition history cannot read or that lacks a column it reads."""
    try:
        described = conn.execute(
            load_sql("history/describe_models"), {"path": literal_path(path)}
        ).fetchall()
    except duckdb.Error as exc:
        raise HistoryInputError(f"cannot read models partition {path}: {exc}") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in {row[0] for row in described}]
    if missing:
        raise HistoryInputError(f"models partition {path} lacks columns: {', '.join(missing)}")


def _open_snapshot(
    conn: duckdb.DuckDBPyConnection,
    view: str,
    path: Path,
    *,
    present: bool = True,
    match_by_id: bool = False,
) -> None:
    """Expose one `models` partition (checked by `_check_columns`) as the temp view `view`.

    A view, not a table: most models are the same on both days and each output reads them once,
    streaming. Not `present` stands for a missing previous snapshot: the columns, no rows.
    """
    params = {"path": literal_path(path), "present": present, "match_by_id": match_by_id}
    conn.sql(load_sql("history/load_models"), params=params).create_view(view, replace=True)
