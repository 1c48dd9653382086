"""What an earlier date arriving late costs: the later day built again (pipeline.daily).

    uv run python bench/bench_late_date.py --later L2 --later-date D2 --earlier L1 \\
        --earlier-date D1 [--root DIR]

Replays the later listing and builds its day with the plain functions (`build_day`), then the
earlier date's, then times `refresh_stale_days`, which builds the later day again from the steps
that read earlier dates (datasets, licences, lineage, `models`, history, derivatives; no release
in this root, so nothing is republished). Prints the wall and CPU seconds of each, the refresh
against the later day's own build, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.daily import build_day, refresh_stale_days, stale_days
from pipeline.hub.replay import replay_file
from pipeline.paths import Layout
from pipeline.sql import DEFAULT_MEMORY_LIMIT, engine


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(label: str, fn, *args, **kwargs) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    fn(*args, **kwargs)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    print(f"{label:<44} {wall:7.1f} s {cpu:7.1f} CPU-s", flush=True)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--later", type=Path, required=True)
    parser.add_argument("--later-date", type=date.fromisoformat, required=True)
    parser.add_argument("--earlier", type=Path, required=True)
    parser.add_argument("--earlier-date", type=date.fromisoformat, required=True)
    parser.add_argument("--root", type=Path, help="output root (default: a temporary folder)")
    args = parser.parse_args()
    if args.earlier_date >= args.later_date:
        parser.error("--earlier-date must come before --later-date")
    print(f"load before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        layout = Layout(args.root or Path(tmp) / "root")
        layout.root.mkdir(parents=True, exist_ok=True)
        with engine(layout, memory_limit=DEFAULT_MEMORY_LIMIT) as conn:
            _timed(
                f"replay {args.later_date}",
                replay_file,
                args.later,
                layout.raw_models(args.later_date),
                args.later_date,
            )
            built, _ = _timed(f"build {args.later_date}", build_day, layout, args.later_date, conn)
            _timed(
                f"replay {args.earlier_date}",
                replay_file,
                args.earlier,
                layout.raw_models(args.earlier_date),
                args.earlier_date,
            )
            _timed(f"build {args.earlier_date}", build_day, layout, args.earlier_date, conn)
            assert stale_days(layout) == [args.later_date], stale_days(layout)
            again, _ = _timed(
                f"refresh: build {args.later_date} again",
                refresh_stale_days,
                layout,
                conn,
                pipeline_version="bench",
                source_commit=None,
            )
            assert stale_days(layout) == []
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(f"refresh / the later day's own build: {again / built:.2f}")
    print(f"peak RSS {peak:.2f} GB; load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
