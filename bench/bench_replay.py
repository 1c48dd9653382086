"""Replay of archive-shaped sources: the bulk path against the line-by-line path it replaced.

    uv run hub-census simulate export --models 1000000 --date 2026-01-01 --out /tmp/l1m.jsonl.gz
    uv run python bench/bench_replay.py --listing /tmp/l1m.jsonl.gz [--models 1000000]
        [--bad 100] [--line-by-line]

Builds, in a scratch directory, from the listing and (when ../shared/hubdata is present) the real
extract of a whole-Hub Parquet dump:

- `gzip`: the listing as it is (clean: copied as the page);
- `plain`: the listing decompressed (`.jsonl`);
- `gzip, N bad`: the listing with N random lines given a bare `NaN` (set aside one by one);
- `parquet`: a hub-stats-style dump of --models rows, the real extract's 4,167 rows repeated
  with their ids made unique (cards as JSON text, emoji escaped as surrogate pairs).

Each source is replayed by `replay_file` in a child process; it prints wall seconds, the child's
CPU seconds (all threads, DuckDB's included), its peak RSS, and the snapshot's pages, models and
rejected lines. With `--line-by-line` each is replayed again with the bulk check switched off
(the path every non-gzip source, and any source with one suspect line, took before), and the
ratio is printed. `--code DIR` replays with another checkout's `pipeline` (an earlier commit's
worktree, for a before/after on the same sources).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
from isal import igzip

ROOT = Path(__file__).resolve().parents[1]
EXTRACT = (
    ROOT.parent / "shared" / "hubdata" / "archives" / "hub-stats_models_extract_2026-05.parquet"
)

CHILD = """
import json, sys
from datetime import date
from pathlib import Path
from pipeline.hub import replay
if sys.argv[3] == "1":
    replay._bulk_scan = lambda source: None
m = replay.replay_file(Path(sys.argv[1]), Path(sys.argv[2]), date(2026, 1, 1))
summary = {"pages": m.pages, "models": m.model_count, "rejected": m.rejected_count}
Path(sys.argv[4]).write_text(json.dumps(summary))
"""


def run_child(source: Path, raw: Path, line_by_line: bool, code: Path) -> dict:
    shutil.rmtree(raw, ignore_errors=True)
    started = time.perf_counter()
    # the child's summary goes to a file: an earlier checkout's DuckDB draws on stdout
    summary = raw.with_suffix(".json")
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(source), str(raw), "1" if line_by_line else "0", summary],
        stdout=subprocess.DEVNULL,
        cwd=code,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"replay of {source} failed (status {status})")
    return json.loads(summary.read_text()) | {
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
    }


def build_sources(listing: Path, work: Path, models: int, bad: int) -> dict[str, Path]:
    plain = work / "listing.jsonl"
    with igzip.open(listing, "rb") as src, open(plain, "wb") as out:
        shutil.copyfileobj(src, out, 8 << 20)
    lines = plain.read_bytes().split(b"\n")
    if not lines[-1]:
        lines.pop()
    for i in random.Random(0).sample(range(len(lines)), bad):
        lines[i] = lines[i][:-1] + b',"x":NaN}'
    spoiled = work / "listing-bad.jsonl.gz"
    spoiled.write_bytes(igzip.compress(b"\n".join(lines) + b"\n", compresslevel=2))
    sources = {"gzip": listing, "plain": plain, f"gzip, {bad} bad": spoiled}
    if EXTRACT.is_file():
        dump = work / "dump.parquet"
        with duckdb.connect() as conn:
            conn.execute("set enable_progress_bar = false")
            conn.execute(
                """
                copy (
                    select * replace (id || if(copy = 0, '', '-' || copy) as id),
                    from read_parquet($extract), range(ceil($models / 4167)::bigint) r(copy)
                    limit $models
                ) to $dump (format parquet, compression zstd)
                """,
                {"extract": str(EXTRACT), "models": models, "dump": str(dump)},
            )
        sources["parquet"] = dump
    return sources


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listing", type=Path, required=True, help="a simulated .jsonl.gz")
    parser.add_argument("--models", type=int, default=1_000_000, help="rows of the Parquet dump")
    parser.add_argument("--bad", type=int, default=100)
    parser.add_argument("--line-by-line", action="store_true")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument(
        "--code",
        type=Path,
        default=ROOT,
        help="a checkout whose pipeline replays (e.g. an earlier commit's worktree; default here)",
    )
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-replay-", dir=args.work))
    try:
        # built in a child process: a replay child's ru_maxrss starts from this process's RSS
        # at the fork, which must not hold the listing
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            sources = pool.submit(build_sources, args.listing, work, args.models, args.bad).result()
        print(f"load {os.getloadavg()[0]:.1f}", flush=True)
        for name, source in sources.items():
            row = {"source": name, "bytes": source.stat().st_size}
            row["bulk"] = run_child(source, work / "raw", False, args.code)
            if args.line_by_line:
                row["line_by_line"] = run_child(source, work / "raw", True, args.code)
                row["ratio"] = round(row["line_by_line"]["wall_s"] / row["bulk"]["wall_s"], 1)
            print(json.dumps(row), flush=True)
        print(f"load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
