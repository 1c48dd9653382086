"""Time and peak memory of building a simulated world and exporting one day's listing.

    uv run python bench/bench_export.py --models 1000000 [--out /tmp/listing.jsonl.gz] [--seed 0]

Prints one JSON line: models, seconds to build the world, seconds and items/s of the export
(rendering + JSON + compression), output bytes, and peak RSS of this process
(resource.getrusage, ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.simulator.export import export_listing
from pipeline.simulator.world import World, WorldConfig


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--date", type=date.fromisoformat, default=date(2026, 1, 1))
    parser.add_argument(
        "--out", type=Path, default=None, help="default: a temp .jsonl.gz, deleted after"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "listing.jsonl.gz"
        t0, c0 = time.perf_counter(), time.process_time()
        world = World(WorldConfig(seed=args.seed, start_date=args.date, n_models=args.models))
        build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
        c1 = time.process_time()
        stats = export_listing(world, args.date, out)
        export_cpu = time.process_time() - c1
    result = {
        "models": stats["models"],
        "build_seconds": round(build_s, 2),
        "build_cpu_seconds": round(build_cpu, 2),
        "export_seconds": stats["seconds"],
        "export_cpu_seconds": round(export_cpu, 2),
        "items_per_second": stats["items_per_second"],
        "items_per_cpu_second": round(stats["models"] / export_cpu, 1),
        "bytes": stats["bytes"],
        "compress": stats["compress"],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
