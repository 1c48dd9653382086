"""Time and peak memory of `build_lineage` at scale, on synthetic `models_staged` data.

    uv run python bench/bench_lineage.py --models 3000000

The staged partition is generated first (sql/lineage/bench_synthetic_models.sql); the build then
runs in a child process so that its peak resident memory is measured on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from pipeline.lineage.build import build_lineage
from pipeline.paths import Layout
from pipeline.sql import load_sql

DAY = date(2025, 6, 1)


def generate(layout: Layout, n_models: int) -> Path:
    target = layout.table_partition("models_staged", DAY)
    target.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as conn:
        params = {"n_models": n_models, "snapshot_date": DAY}
        conn.sql(load_sql("lineage/bench_synthetic_models"), params=params).write_parquet(
            str(target), compression="zstd"
        )
    return target


def build_only(root: Path, memory_limit: str | None, threads: int | None) -> None:
    conn = duckdb.connect()
    if memory_limit:
        conn.execute("set memory_limit = ?", [memory_limit])
    if threads:
        conn.execute("set threads = ?", [threads])
    started = time.perf_counter()
    result = build_lineage(Layout(root), DAY, conn)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": round(seconds, 2), "rows": result.rows}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=3_000_000)
    parser.add_argument("--root", type=Path, help="output root (default: a temporary directory)")
    parser.add_argument("--memory-limit", default="6GB", help="DuckDB memory_limit for the build")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build_only(args.root, args.memory_limit, args.threads)
        return
    with tempfile.TemporaryDirectory(prefix="bench-lineage-") as tmp:
        root = args.root or Path(tmp)
        started = time.perf_counter()
        generate(Layout(root), args.models)
        generated = time.perf_counter() - started
        command = [
            sys.executable,
            __file__,
            "--build-only",
            "--root",
            str(root),
            "--memory-limit",
            args.memory_limit,
        ]
        if args.threads:
            command += ["--threads", str(args.threads)]
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"build failed:\n{proc.stderr}")
        output = proc.stdout
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        build = json.loads(output.strip().splitlines()[-1])
        ledger = json.loads(
            (
                root / "warehouse" / "lineage_ledger" / f"snapshot_date={DAY}" / "ledger.json"
            ).read_text()
        )
        print(
            json.dumps(
                {
                    "models": args.models,
                    "edges": ledger["edges"]["total"],
                    "ancestry_rows": build["rows"]["lineage_ancestry"],
                    "generate_seconds": round(generated, 2),
                    "build_seconds": build["seconds"],
                    # CPU time is reported beside wall time: the machine is shared, and the wall
                    # time of a 2-core build depends on what else runs
                    "build_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
                    "build_peak_rss_mib": round(usage.ru_maxrss / 1024),
                    "load_average_1min": round(os.getloadavg()[0], 2),
                    "parent_status": ledger["edges"]["parent_status"],
                    "max_lineage_depth": ledger["models"]["max_lineage_depth"],
                    "n_cycles": ledger["n_cycles"],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
