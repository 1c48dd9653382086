"""One whole day against one scan of its data, in one run.

    uv run hub-census simulate export --models 1000000 --date 2026-01-01 --out /tmp/l1m.jsonl.gz
    uv run python bench/bench_day.py --input /tmp/l1m.jsonl.gz [--stages] [--day2 LISTING]

Measures, on the same input and in this order:

- the **floor**: DuckDB `read_json` with declared columns, written to one zstd Parquet file (one
  read of the data, no checks), in a child process;
- the **day**: `hub-census run --from-file INPUT` (everything, through Dagster, ephemeral
  instance) in a child process, with its peak RSS;
- with `--stages`, the same work as plain functions (replay, then each stage of
  `pipeline.daily.build_day`, then publish) in a child process, timed one by one, so that the
  difference from the day is Dagster's own share;
- with `--day2 LISTING`, a second `hub-census run` of a later day into the same output root
  (a later date of the same world: `simulate export --start 2026-01-01 --date 2026-01-02`);
- with `--dagster-share`, the day again (fresh root) under cProfile: the time inside the asset
  bodies (Dagster's `execute_core_compute`) against the whole process, so the rest (imports,
  definitions, the instance, events, checks' bookkeeping) is Dagster's own share.

It prints each wall time with the child's CPU time (the machine may be shared: CPU time is the
figure to compare across runs), the day/floor ratio, peak memory and the load average.

With `--repeat N` the floor and the day are run N times each, alternately (floor, day, floor,
day, ...; every day into a fresh root, so each is a first day, followed by its day 2 when
asked), and the ratio is that of their medians, printed with each run's figures and the spread:
this VM's speed drifts by a quarter within an hour, and one pair of runs can land on either side
of a target. Day 2 is compared with its own day 1 pair by pair (the median of the differences,
their range, and in how many pairs day 2 was not dearer), since the two run back to back.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

# The columns a listing item carries, declared so that the floor does not sample the input.
FLOOR_SQL = """
copy (
    select * from read_json(
        $path,
        format = 'newline_delimited',
        columns = {
            '_id': 'VARCHAR', 'id': 'VARCHAR', 'author': 'VARCHAR', 'createdAt': 'VARCHAR',
            'lastModified': 'VARCHAR', 'downloads': 'BIGINT', 'downloadsAllTime': 'BIGINT',
            'likes': 'BIGINT', 'trendingScore': 'DOUBLE', 'pipeline_tag': 'VARCHAR',
            'library_name': 'VARCHAR', 'gated': 'JSON', 'private': 'BOOLEAN',
            'disabled': 'BOOLEAN', 'tags': 'VARCHAR[]', 'siblings': 'JSON',
            'safetensors': 'JSON', 'gguf': 'JSON', 'cardData': 'JSON'
        },
        maximum_object_size = 33554432
    )
) to '{out}' (format parquet, compression zstd)
"""

_CHILD_STAGES = r"""
import json, sys, time
from datetime import date
from pathlib import Path
import duckdb
from pipeline.paths import Layout
from pipeline.hub.replay import replay_file
from pipeline.staging import stage_models
from pipeline.provenance import SourceInfo, build_snapshot_sources
from pipeline.licenses.build import build_model_licenses
from pipeline.lineage.build import build_lineage
from pipeline.models import build_models
from pipeline.history import build_history
from pipeline.derivatives import build_derivatives, build_reconciliation
from pipeline.release.publish import write_release
from pipeline.datasets import build_datasets

source, out, day = Path(sys.argv[1]), Path(sys.argv[2]), date.fromisoformat(sys.argv[3])
layout = Layout(out)
conn = duckdb.connect()
times = {}
def step(name, fn):
    t = time.perf_counter(); fn(); times[name] = round(time.perf_counter() - t, 2)
step("replay", lambda: replay_file(source, layout.raw_models(day), day))
step("staging", lambda: stage_models(layout, day, conn))
step("sources", lambda: build_snapshot_sources(layout, day, SourceInfo("recorded_replay"), conn))
step("datasets", lambda: build_datasets(layout, day, conn))
step("licenses", lambda: build_model_licenses(layout, day, conn))
step("lineage", lambda: build_lineage(layout, day, conn))
step("models", lambda: build_models(layout, day, conn))
step("history", lambda: build_history(layout, day, conn))
step("derivatives", lambda: build_derivatives(layout, day, conn))
step("reconciliation", lambda: build_reconciliation(layout, day, conn))
step("publish", lambda: write_release(layout, day, pipeline_version="bench", source_commit=None))
print(json.dumps(times))
"""


def _child(cmd: list[str], **kwargs) -> tuple[float, float, int, subprocess.CompletedProcess]:
    """Run a child; its wall seconds, CPU seconds and peak RSS (bytes, largest child so far)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    # ru_maxrss of children is the largest of any child so far (KB on Linux)
    return wall, cpu, after.ru_maxrss * 1024, done


def _floor(source: Path, work: Path) -> tuple[float, float, int]:
    out = work / "floor.parquet"
    code = (
        "import duckdb, sys; duckdb.connect().execute(sys.argv[1].replace('{out}', sys.argv[3]), "
        "{'path': sys.argv[2]})"
    )
    wall, cpu, rss, _ = _child([sys.executable, "-c", code, FLOOR_SQL, str(source), str(out)])
    return wall, cpu, rss


def _day(source: Path, out: Path, day: date) -> tuple[float, float, int]:
    cmd = ["hub-census", "run", "--from-file", str(source), "--date", day.isoformat()]
    cmd += ["--out", str(out), "--no-progress"]
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    wall, cpu, rss, _ = _child(cmd, env=env)
    return wall, cpu, rss


def _dagster_share(source: Path, out: Path, day: date, work: Path) -> tuple[float, float]:
    """(seconds inside asset bodies, seconds of the whole profiled `hub-census run`)."""
    import pstats

    stats_file = work / "day.prof"
    cmd = [sys.executable, "-m", "cProfile", "-o", str(stats_file), "-m", "pipeline.cli", "run"]
    cmd += ["--from-file", str(source), "--date", day.isoformat(), "--out", str(out)]
    cmd += ["--no-progress"]
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    _child(cmd, env=env)
    stats = pstats.Stats(str(stats_file))
    total = stats.total_tt
    compute = sum(
        cumtime
        for (path, _line, name), (_cc, _nc, _tt, cumtime, _callers) in stats.stats.items()
        if name == "execute_core_compute" and path.endswith("plan/compute.py")
    )
    return compute, total


def _spread(runs: list[tuple[float, float]]) -> str:
    walls = [wall for wall, _cpu in runs]
    return f"{min(walls):.1f}-{max(walls):.1f} s wall"


def _paired(first: list[tuple[float, float]], second: list[tuple[float, float]]) -> str:
    """Day 2 against its own day 1, pair by pair. Each pair runs back to back, so the VM's
    drift (a quarter within an hour) mostly cancels in the difference, where it does not in
    the difference of two medians."""
    parts = []
    for i, unit in ((0, "s wall"), (1, "CPU-s")):
        diffs = [two[i] - one[i] for one, two in zip(first, second, strict=True)]
        shares = [two[i] / one[i] - 1 for one, two in zip(first, second, strict=True)]
        not_dearer = sum(d <= 0 for d in diffs)
        parts.append(
            f"{statistics.median(diffs):+.1f} {unit} ({statistics.median(shares):+.0%}; "
            f"{min(diffs):+.1f} to {max(diffs):+.1f}; not dearer in {not_dearer} of {len(diffs)})"
        )
    return "day 2 - day 1, median of pairs: " + ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True, help="a JSON Lines listing (.gz)")
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 1, 1))
    parser.add_argument("--stages", action="store_true", help="also time each stage as a function")
    parser.add_argument("--day2", type=Path, help="a later day's listing, run after the first")
    parser.add_argument("--day2-date", type=date.fromisoformat, default=date(2026, 1, 2))
    parser.add_argument("--work", type=Path, help="scratch directory (default: a temp dir)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run the floor and the day N times each (medians)"
    )
    parser.add_argument(
        "--dagster-share", action="store_true", help="profile a second run for Dagster's share"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        work = Path(tmp)
        print(f"load before: {os.getloadavg()[0]:.2f}", flush=True)
        floors, days, seconds = [], [], []
        for run in range(args.repeat):
            f_wall, f_cpu, _ = _floor(args.input, work)
            floors.append((f_wall, f_cpu))
            # a fresh rusage baseline is not possible for maxrss: the floor child's peak is far
            # below the day's, so the largest-child figure after a day is the largest day's
            print(f"floor: {f_wall:.1f} s wall, {f_cpu:.1f} CPU-s", flush=True)
            root = work / f"root-{run}"
            d_wall, d_cpu, d_rss = _day(args.input, root, args.date)
            days.append((d_wall, d_cpu))
            print(
                f"day:   {d_wall:.1f} s wall, {d_cpu:.1f} CPU-s, peak RSS {d_rss / 2**30:.2f} GB",
                flush=True,
            )
            if args.day2:
                w2, c2, r2 = _day(args.day2, root, args.day2_date)
                seconds.append((w2, c2))
                print(f"day 2: {w2:.1f} s wall, {c2:.1f} CPU-s, peak RSS {r2 / 2**30:.2f} GB")
            shutil.rmtree(root)
        if args.repeat > 1:
            f_wall, f_cpu = (statistics.median(x) for x in zip(*floors, strict=True))
            d_wall, d_cpu = (statistics.median(x) for x in zip(*days, strict=True))
            print(
                f"median of {args.repeat}: floor {f_wall:.1f} s ({_spread(floors)}), "
                f"day {d_wall:.1f} s, {d_cpu:.1f} CPU-s ({_spread(days)})",
                flush=True,
            )
            if seconds:
                w2, c2 = (statistics.median(x) for x in zip(*seconds, strict=True))
                print(f"median day 2: {w2:.1f} s, {c2:.1f} CPU-s ({_spread(seconds)})", flush=True)
                print(_paired(days, seconds), flush=True)
        print(f"ratio: {d_wall / f_wall:.1f}x the floor (CPU: {d_cpu / f_cpu:.1f}x)", flush=True)
        if args.stages:
            s_wall, s_cpu, _, done = _child(
                [
                    sys.executable,
                    "-c",
                    _CHILD_STAGES,
                    str(args.input),
                    str(work / "plain"),
                    args.date.isoformat(),
                ]
            )
            stages = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"plain functions: {s_wall:.1f} s wall, {s_cpu:.1f} CPU-s: {stages}")
            print(f"dagster share: {max(d_wall - s_wall, 0) / d_wall:.0%} of the day's wall")
        if args.dagster_share:
            compute, total = _dagster_share(args.input, work / "profiled", args.date, work)
            print(
                f"dagster's own share (profiled run): {total - compute:.1f} s of {total:.1f} s "
                f"({(total - compute) / total:.0%}); asset bodies {compute:.1f} s"
            )
        print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
