"""Building the lineage tables of one snapshot from `models_staged`.

Reads the day's `models_staged` partition (and, for old ids of renamed repos, the id/`_id` pairs of
earlier days, kept incrementally in `lineage_aliases`) and the day's `model_licenses` partition when
there is one; writes `lineage_edges`, `lineage_ancestry`, `model_lineage`, `lineage_aliases` and the
quality ledger `lineage_ledger/snapshot_date=D/ledger.json`. Every step is a statement in
`sql/lineage/`; Python only orders them, normalises the few references that are not already a
model id (`pipeline.lineage.refs`) and repeats the cycle trimming until it settles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from pipeline.lineage.refs import normalize_ref
from pipeline.paths import Layout, literal_path
from pipeline.sql import connection, load_sql, sql_dir
from pipeline.storage import (
    atomic_write_json,
    partition_dates,
    previous_date,
    read_stamp,
    stale_dates,
    write_basis,
    write_partition,
)

STAGED_TABLE = "models_staged"
LICENSES_TABLE = "model_licenses"
EDGES_TABLE = "lineage_edges"
ANCESTRY_TABLE = "lineage_ancestry"
MODEL_LINEAGE_TABLE = "model_lineage"
ALIASES_TABLE = "lineage_aliases"
# Each day records the newest earlier staged snapshot it read old ids from, in
# warehouse/_lineage_basis/<date>.json.
BASIS_STEP = "lineage"
LEDGER_DIR = "lineage_ledger"

# No real lineage is anywhere near this deep; the walk stops here only if a cycle slipped through.
MAX_DEPTH = 1_000
# Trimming removes at least one layer per round, so it settles within the longest chain; the cap
# is a guard against a statement that deletes nothing being mistaken for progress.
MAX_TRIM_ROUNDS = 10_000
LEDGER_TOP_MISSING = 25


_TEMP_TABLES = (
    "lin_models",
    "lin_child_hints",
    "lin_alias_seen",
    "lin_alias_map",
    "lin_refs",
    "lin_ref_norm",
    "lin_resolved",
    "lin_edges",
    "lin_cycle_graph",
    "lin_cycle_edges",
    "lin_ancestry",
    "lin_license_rank",
    "lin_licenses",
    "lin_edges_out",
    "lin_ancestry_out",
    "lin_aliases_out",
)


@dataclass(frozen=True)
class LineageResult:
    """What one build wrote: partition paths, row counts and the quality ledger."""

    snapshot_date: date
    paths: dict[str, Path]
    rows: dict[str, int]
    ledger: dict = field(default_factory=dict)
    licenses_available: bool = False


def _run(
    conn: duckdb.DuckDBPyConnection, name: str, params: dict[str, object] | None = None
) -> None:
    conn.execute(load_sql(f"lineage/{name}"), params)


def _materialise(
    conn: duckdb.DuckDBPyConnection, temp_table: str, select_name: str, snapshot_date: date
) -> None:
    # Both names are constants of this module; no data reaches the SQL text.
    conn.execute(
        f"create or replace temp table {temp_table} as " + load_sql(f"lineage/{select_name}"),
        {"snapshot_date": snapshot_date},
    )


def _load_aliases(conn: duckdb.DuckDBPyConnection, layout: Layout, snapshot_date: date) -> None:
    """Old ids known on the day: the latest earlier alias partition, plus every staged partition
    from its date on (so that a backfill or a gap still sees each day), minus today's ids."""
    since = previous_date(layout, ALIASES_TABLE, snapshot_date)
    sources = [
        literal_path(layout.table_partition(STAGED_TABLE, day))
        for day in partition_dates(layout, STAGED_TABLE)
        if day < snapshot_date and (since is None or day >= since)
    ]
    _run(conn, "create_alias_seen")
    if sources:
        _run(conn, "insert_staged_aliases", {"alias_sources": sources})
    if since is not None:
        previous = layout.table_partition(ALIASES_TABLE, since)
        _run(conn, "insert_previous_aliases", {"previous_aliases": literal_path(previous)})
    _run(conn, "keep_old_ids")
    _run(conn, "alias_map")


def _normalise_refs(conn: duckdb.DuckDBPyConnection) -> None:
    raws = [row[0] for row in conn.execute(load_sql("lineage/refs_to_normalize")).fetchall()]
    normalised = [normalize_ref(raw) for raw in raws]
    conn.execute(
        load_sql("lineage/load_ref_norm"),
        {
            "raw_refs": raws,
            "norm_ids": [n.model_id for n in normalised],
            "fixes": [list(n.fixes) for n in normalised],
        },
    )


def _flag_cycles(conn: duckdb.DuckDBPyConnection) -> int:
    """Mark every edge on a cycle; return the number of trimming rounds it took."""
    _run(conn, "cycle_graph")
    trim = load_sql("lineage/cycle_trim")
    rounds = 0
    while rounds < MAX_TRIM_ROUNDS:
        rounds += 1
        deleted = conn.execute(trim).fetchone()[0]
        if deleted == 0:
            break
    _run(conn, "cycle_edges")
    _run(conn, "mark_cycle_edges")
    return rounds


def license_categories_csv() -> Path:
    """The licenses stage's category seed, which ranks categories from most open to most
    restrictive."""
    return sql_dir() / "seeds" / "license_categories.csv"


def _load_licenses(conn: duckdb.DuckDBPyConnection, layout: Layout, snapshot_date: date) -> bool:
    seed = {"license_categories_csv": literal_path(license_categories_csv())}
    _run(conn, "seed_license_category_rank", seed)
    path = layout.table_partition(LICENSES_TABLE, snapshot_date)
    if not path.is_file():
        _run(conn, "empty_licenses")
        return False
    _run(conn, "load_licenses", {"licenses_path": literal_path(path)})
    return True


def _ledger(
    conn: duckdb.DuckDBPyConnection,
    snapshot_date: date,
    licenses_available: bool,
    model_lineage: Path,
) -> dict:
    counts: dict[str, dict[str, int]] = {}
    for dimension, value, n in conn.execute(load_sql("lineage/ledger_edge_counts")).fetchall():
        counts.setdefault(dimension, {})[value] = n
    cursor = conn.execute(
        load_sql("lineage/ledger_models"), {"model_lineage_path": literal_path(model_lineage)}
    )
    names = [column[0] for column in cursor.description]
    models = dict(zip(names, cursor.fetchone(), strict=True))
    n_models = models["n_models"] or 0
    missing = [
        {"parent_id": parent_id, "n_children": n}
        for _key, parent_id, n in conn.execute(
            load_sql("lineage/ledger_missing_parents"), {"ledger_top_n": LEDGER_TOP_MISSING}
        ).fetchall()
    ]
    cycles = [
        {"component_id": component, "members": members, "n_edges": n}
        for component, members, n in conn.execute(load_sql("lineage/ledger_cycles")).fetchall()
    ]
    return {
        "snapshot_date": snapshot_date.isoformat(),
        "models": models,
        "share_with_declared_parent": models["n_with_declared_parent"] / n_models
        if n_models
        else 0.0,
        "share_with_resolved_parent": models["n_with_resolved_parent"] / n_models
        if n_models
        else 0.0,
        "edges": {"total": sum(counts.get("parent_status", {}).values()), **counts},
        "top_missing_parents": missing,
        "cycles": cycles,
        "n_cycles": len(cycles),
        "licenses_available": licenses_available,
    }


def _write_ledger(layout: Layout, snapshot_date: date, ledger: dict) -> Path:
    path = layout.table_partition(LEDGER_DIR, snapshot_date).with_name("ledger.json")
    atomic_write_json(path, ledger, indent=2, sort_keys=True, default=str)
    return path


def build_lineage(
    layout: Layout,
    snapshot_date: date,
    conn: duckdb.DuckDBPyConnection | None = None,
) -> LineageResult:
    """Build and write the day's lineage tables; return what was written and the quality ledger.

    Raises FileNotFoundError when the day's `models_staged` partition does not exist.
    """
    staged_path = layout.table_partition(STAGED_TABLE, snapshot_date)
    if not staged_path.is_file():
        raise FileNotFoundError(f"no {STAGED_TABLE} partition for {snapshot_date}: {staged_path}")
    # The newest earlier snapshot staged when this day read its old ids, and which build of it
    # (recorded once the day is built): an earlier date staged after it, or that day built again,
    # makes the day stale (pipeline.daily.stale_days).
    basis = previous_date(layout, STAGED_TABLE, snapshot_date)
    basis_stamp = read_stamp(layout, basis)
    with connection(conn) as conn:
        # Row order is not part of these tables (edges are written sorted, the rest is keyed);
        # not keeping it saves memory and time at Hub scale. The caller's setting is restored.
        setting = "select current_setting('preserve_insertion_order')"
        keep_order = conn.execute(setting).fetchall()[0][0]
        conn.execute("set preserve_insertion_order = false")
        try:
            staged = {"staged_path": literal_path(staged_path)}
            _run(conn, "load_models", staged)
            if conn.execute(load_sql("lineage/count_parents_unshown")).fetchone()[0]:
                _run(conn, "mark_card_parents_shown", staged)
            _run(conn, "child_hints", staged)
            _load_aliases(conn, layout, snapshot_date)
            _run(conn, "candidate_refs", staged)
            _normalise_refs(conn)
            _run(conn, "resolve_refs")
            _run(conn, "build_edges")
            trim_rounds = _flag_cycles(conn)
            _run(conn, "walk_edges")
            _run(conn, "ancestry", {"max_depth": MAX_DEPTH})
            licenses_available = _load_licenses(conn, layout, snapshot_date)

            _materialise(conn, "lin_edges_out", "select_lineage_edges", snapshot_date)
            _materialise(conn, "lin_ancestry_out", "select_lineage_ancestry", snapshot_date)
            _materialise(conn, "lin_aliases_out", "select_lineage_aliases", snapshot_date)

            paths: dict[str, Path] = {}
            rows: dict[str, int] = {}
            for table, temp_table, allow_empty in (
                # a day on which no model declares a parent is legitimate; one without models is not
                (EDGES_TABLE, "lin_edges_out", True),
                (ANCESTRY_TABLE, "lin_ancestry_out", True),
                (ALIASES_TABLE, "lin_aliases_out", True),
            ):
                # Written from the materialised table (the ledger reads the edges again).
                paths[table], rows[table] = write_partition(
                    conn,
                    layout,
                    table,
                    snapshot_date,
                    conn.table(temp_table),
                    allow_empty=allow_empty,
                )
            # The widest table is streamed from its query into the file (not held in memory
            # first); the ledger's model figures read the file written.
            paths[MODEL_LINEAGE_TABLE], rows[MODEL_LINEAGE_TABLE] = write_partition(
                conn,
                layout,
                MODEL_LINEAGE_TABLE,
                snapshot_date,
                load_sql("lineage/select_model_lineage"),
                {"snapshot_date": snapshot_date},
            )
            ledger = _ledger(conn, snapshot_date, licenses_available, paths[MODEL_LINEAGE_TABLE])
            ledger["cycle_trim_rounds"] = trim_rounds
            paths["ledger"] = _write_ledger(layout, snapshot_date, ledger)
            write_basis(layout, BASIS_STEP, snapshot_date, basis, basis_stamp)
            return LineageResult(snapshot_date, paths, rows, ledger, licenses_available)
        finally:
            for name in _TEMP_TABLES:
                conn.execute(f"drop table if exists {name}")
            conn.execute("set preserve_insertion_order = ?", [keep_order])


def stale_lineage_dates(layout: Layout) -> list[date]:
    """Days whose lineage read old ids before an earlier date was staged (a run for that date
    finished staging after it), or before the day it read was built again: oldest first."""
    return stale_dates(layout, BASIS_STEP, STAGED_TABLE)


def resolved_parent_share(
    layout: Layout, snapshot_date: date, conn: duckdb.DuckDBPyConnection
) -> float:
    """Share of the day's models with at least one parent that resolves to a model of the
    snapshot (0.0 for a day without models). Raises FileNotFoundError without a partition."""
    path = layout.table_partition(MODEL_LINEAGE_TABLE, snapshot_date)
    if not path.is_file():
        raise FileNotFoundError(f"no {MODEL_LINEAGE_TABLE} partition for {snapshot_date}: {path}")
    sql = load_sql("lineage/check_resolved_parent_share")
    share = conn.execute(sql, {"model_lineage_path": literal_path(path)}).fetchone()[0]
    return float(share or 0.0)


def cycle_edges_in_ancestry(
    layout: Layout, snapshot_date: date, conn: duckdb.DuckDBPyConnection
) -> int:
    """Number of cycle or self-loop edges the day's ancestry walked, plus ancestry rows in which a
    model is its own ancestor, plus walked edges the ancestry left out; 0 when the ancestry is a
    clean DAG."""
    edges = layout.table_partition(EDGES_TABLE, snapshot_date)
    ancestry = layout.table_partition(ANCESTRY_TABLE, snapshot_date)
    for path in (edges, ancestry):
        if not path.is_file():
            raise FileNotFoundError(f"missing lineage partition for {snapshot_date}: {path}")
    params = {"edges_path": literal_path(edges), "ancestry_path": literal_path(ancestry)}
    sql = load_sql("lineage/check_cycle_edges_in_ancestry")
    return int(conn.execute(sql, params).fetchone()[0])
