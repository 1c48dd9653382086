"""Time per backfilled date: `hub-census backfill` over a folder of simulated daily listings.

    uv run python bench/bench_backfill.py --models 100000 --dates 3 [--eras 2026] [--keep DIR]

Exports `--dates` consecutive days of one simulated world (in the shapes of `--eras`, cycled),
then builds them one date at a time, each as its own `hub-census backfill FOLDER --from D --to D`
process, as the command does over an archive: staging, licences, lineage, history, gates and a
published release per date. Each date's wall time, CPU time (user + system, every thread) and
peak RSS come from `os.wait4` on that process, so they are the date's alone (the RSS includes
this script's memory at the fork before the exec: the skipped row shows how much). A last row runs
the backfill again over all dates: every one is skipped, which is the cost of starting the command
(Python, Dagster imports, discovery), included in every row above it.

Prints a Markdown table, the machine's load (`os.getloadavg`) before and after, and one JSON
line per row.

With `--one-command` the dates are built by one `hub-census backfill FOLDER` instead, as an
operator runs it, and the table gives the mean seconds per date (the command's own per-date
line) for each block of `--block` dates: how a date's cost moves as the root fills with
releases (a backfill of years of archives is hundreds of dates), with the command's total.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.simulator.export import export_listing
from pipeline.simulator.world import World, WorldConfig

# The simulator's worlds start after the Hub's 2022-03-02 placeholder creation date.
START = date(2024, 3, 1)


def _timed(cmd: list[str]) -> dict:
    """Run `cmd`; its wall seconds, CPU seconds and peak RSS (from wait4), and exit code."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "exit": proc.returncode,
        "output": output.decode(errors="replace"),
    }


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100_000)
    parser.add_argument("--dates", type=int, default=3)
    parser.add_argument("--eras", default="2026", help="comma-separated, cycled over the dates")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="work here and keep it")
    parser.add_argument("--one-command", action="store_true", help="one backfill over all dates")
    parser.add_argument("--block", type=int, default=10, help="dates per row with --one-command")
    args = parser.parse_args(argv)
    eras = args.eras.split(",")
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        work = args.keep or Path(tmp)
        source, out = work / "archive", work / "out"
        t0 = time.perf_counter()
        world = World(WorldConfig(seed=args.seed, start_date=START, n_models=args.models))
        days = [START + timedelta(days=i) for i in range(args.dates)]
        for i, day in enumerate(days):
            export_listing(world, day, source / f"{day}.jsonl.gz", era=eras[i % len(eras)])
        export_s = time.perf_counter() - t0
        cli = [sys.executable, "-m", "pipeline.cli", "backfill", str(source), "--out", str(out)]
        if args.one_command:
            return _one_command(cli, args, export_s, load_before)
        rows = []
        for i, day in enumerate(days):
            timed = _timed([*cli, "--from", str(day), "--to", str(day), "--no-progress"])
            if timed["exit"] != 0:
                raise SystemExit(f"backfill of {day} exited {timed['exit']}:\n{timed['output']}")
            built = re.search(r"built from \S+: models ([\d,]+)", timed["output"])
            models = built.group(1).rstrip(",") if built else "?"
            rows.append({"date": str(day), "era": eras[i % len(eras)], "models": models, **timed})
        skipped = _timed([*cli, "--no-progress"])
        rows.append({"date": "all (skipped)", "era": "", "models": "", **skipped})
    load_after = _load()
    print(
        f"\n{args.models:,} models, {args.dates} dates; world + export {export_s:.0f} s; "
        f"load (1/5/15 min) before {load_before}, after {load_after}; {os.cpu_count()} cores\n"
    )
    print("| date | era | models | wall s | CPU s | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['date']} | {row['era']} | {row['models']} | {row['wall_s']} | {row['cpu_s']} "
            f"| {row['peak_rss_mb']} |"
        )
    for row in rows:
        print(json.dumps({k: v for k, v in row.items() if k != "output"}))
    return rows


def _one_command(cli: list[str], args: argparse.Namespace, export_s: float, load_before: str):
    timed = _timed([*cli, "--no-progress"])
    if timed["exit"] != 0:
        raise SystemExit(f"backfill exited {timed['exit']}:\n{timed['output']}")
    per_date = re.findall(r"built from \S+: .*, ([\d.]+)s$", timed["output"], re.M)
    seconds = [float(s) for s in per_date]
    print(
        f"\n{args.models:,} models, {args.dates} dates in one backfill; world + export "
        f"{export_s:.0f} s; load before {load_before}, after {_load()}; {os.cpu_count()} cores; "
        f"the command: {timed['wall_s']} s wall, {timed['cpu_s']} CPU-s, "
        f"{timed['peak_rss_mb']} MB peak\n"
    )
    print("| dates | mean s per date | max |")
    print("|---|---|---|")
    rows = []
    for first in range(0, len(seconds), args.block):
        block = seconds[first : first + args.block]
        row = {"dates": f"{first + 1}-{first + len(block)}", "mean_s": sum(block) / len(block)}
        row["max_s"] = max(block)
        rows.append(row)
        print(f"| {row['dates']} | {row['mean_s']:.2f} | {row['max_s']:.1f} |")
    return rows


if __name__ == "__main__":
    main()
