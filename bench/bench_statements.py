"""Where a day's time goes, statement by statement: the budget behind bench_day's ratio.

    uv run python bench/bench_statements.py --input /tmp/l1m.jsonl.gz [--day2 LISTING2]

Replays the listing into a fresh root, then runs `pipeline.daily.build_day` (plain functions, no
Dagster) with every SQL statement from `sql/` and every partition write timed where the stage
runs it: wall seconds and this process's CPU seconds, each write from its query to its file.
With `--day2` the next day is built into the same root and profiled too. Prints the statements
over `--min` seconds in the order they ran, the stages' totals, and each in floors when
`--floor` (seconds, from bench_day.py in the same hour) is given.

The timing wraps the connection the stages are handed and the `load_sql` and `write_partition`
names the stage modules imported; nothing else is changed, so the stages run their own code.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

import pipeline.daily as daily
import pipeline.sql as sql
import pipeline.storage as storage
from pipeline.hub.replay import replay_file
from pipeline.paths import Layout

# The stage functions build_day calls, found by name in its module rather than listed again
STAGES = sorted(
    name
    for name, value in vars(daily).items()
    if callable(value) and name.startswith(("stage_", "build_")) and name != "build_day"
)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Timings:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self.names: dict[str, str] = {}

    def timed(self, label: str, fn, *args, **kwargs):
        wall, cpu = time.perf_counter(), _cpu()
        result = fn(*args, **kwargs)
        self.rows.append((label, time.perf_counter() - wall, _cpu() - cpu))
        return result

    def label(self, query: object) -> str:
        if isinstance(query, str) and query in self.names:
            return self.names[query]
        return " ".join(str(query).split())[:60]


class _TimedConnection:
    """The stages' connection, with `execute` and `sql` timed; everything else passed through."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, timings: _Timings) -> None:
        self._conn = conn
        self._timings = timings

    def __getattr__(self, name: str):
        return getattr(self._conn, name)

    def execute(self, query, *args, **kwargs):
        result = self._timings.timed(
            self._timings.label(query), self._conn.execute, query, *args, **kwargs
        )
        # execute returns the connection itself, for chained fetches
        return self if result is self._conn else result

    def sql(self, query, *args, **kwargs):
        return self._timings.timed(
            self._timings.label(query), self._conn.sql, query, *args, **kwargs
        )


def _instrument(timings: _Timings) -> None:
    load_sql, write_partition = sql.load_sql, storage.write_partition

    def named_sql(name: str) -> str:
        text = load_sql(name)
        timings.names[text] = name
        return text

    def timed_write(conn, layout, table, *args, **kwargs):
        # DuckDB's own methods are given the real connection (relations check its type)
        real = conn._conn if isinstance(conn, _TimedConnection) else conn
        return timings.timed(
            f"write {table}", write_partition, real, layout, table, *args, **kwargs
        )

    for module in list(sys.modules.values()):
        if not getattr(module, "__name__", "").startswith("pipeline"):
            continue
        if getattr(module, "load_sql", None) is load_sql:
            module.load_sql = named_sql
        if getattr(module, "write_partition", None) is write_partition:
            module.write_partition = timed_write
    for stage in STAGES:
        fn = getattr(daily, stage)

        def timed_stage(*args, _fn=fn, _stage=stage, **kwargs):
            return timings.timed(f"== {_stage}", _fn, *args, **kwargs)

        setattr(daily, stage, timed_stage)


def _report(
    day: date,
    rows: list[tuple[str, float, float]],
    replay: tuple[float, float],
    floor: float | None,
    shortest: float,
) -> None:
    def floors(seconds: float) -> str:
        return f" {seconds / floor:5.2f} floors" if floor else ""

    print(f"\n{day}: wall s, CPU-s")
    print(f"{replay[0]:7.2f} {replay[1]:7.2f}{floors(replay[0])}  replay")
    totals = [row for row in rows if row[0].startswith("== ")]
    for label, wall, cpu in rows:
        if not label.startswith("== ") and wall >= shortest:
            print(f"{wall:7.2f} {cpu:7.2f}{floors(wall)}  {label}")
    print("stages:")
    for label, wall, cpu in totals:
        print(f"{wall:7.2f} {cpu:7.2f}{floors(wall)}  {label[3:]}")
    wall = replay[0] + sum(w for _, w, _ in totals)
    cpu = replay[1] + sum(c for _, _, c in totals)
    print(f"{wall:7.2f} {cpu:7.2f}{floors(wall)}  replay and stages", flush=True)


def _profile_day(
    layout: Layout, listing: Path, day: date, timings: _Timings
) -> tuple[list[tuple[str, float, float]], tuple[float, float]]:
    wall, cpu = time.perf_counter(), _cpu()
    replay_file(listing, layout.raw_models(day), day)
    replay = (time.perf_counter() - wall, _cpu() - cpu)
    timings.rows = []
    conn = duckdb.connect()
    try:
        daily.build_day(layout, day, _TimedConnection(conn, timings))
    finally:
        conn.close()
    return timings.rows, replay


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True, help="a JSON Lines listing (.gz)")
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 1, 1))
    parser.add_argument("--day2", type=Path, help="a later day's listing, built after the first")
    parser.add_argument("--day2-date", type=date.fromisoformat, default=date(2026, 1, 2))
    parser.add_argument("--floor", type=float, help="the floor's seconds, to show each in floors")
    parser.add_argument("--min", type=float, default=0.15, help="leave out statements under this")
    parser.add_argument("--work", type=Path, help="scratch directory (default: a temp dir)")
    args = parser.parse_args()

    timings = _Timings()
    _instrument(timings)
    days = [(args.input, args.date)] + ([(args.day2, args.day2_date)] if args.day2 else [])
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        layout = Layout(Path(tmp) / "root")
        for listing, day in days:
            rows, replay = _profile_day(layout, listing, day, timings)
            _report(day, rows, replay, args.floor, args.min)


if __name__ == "__main__":
    main()
