"""Time of publishing one release of a large synthetic snapshot, and of the query "all
descendants of one base model with their licenses" over it.

    uv run python bench/bench_release.py --models 3000000
    uv run python bench/bench_release.py --models 3000000 --out /tmp/bench-release --keep

The warehouse partitions (models, lineage_edges, lineage_ancestry, quarantine, ecosystem_daily)
are generated first by `pipeline.release.demo` (not timed). The publish runs in a fresh child
process so that its time and peak memory are its own; the query then runs in another fresh
process through the catalog, as `hub-census query` would, cold (first run) and warm.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

SNAPSHOT_DATE = date(2026, 1, 1)
REPO = Path(__file__).resolve().parents[1]

PUBLISH = """
import json, resource, sys, time
from datetime import date
from pathlib import Path
from pipeline.paths import Layout
from pipeline.release import publish_release
started = time.perf_counter()
result = publish_release(
    Layout(Path(sys.argv[1])), date.fromisoformat(sys.argv[2]),
    pipeline_version="bench", source_commit=None,
)
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rows": result.rows,
    "bytes": {name: meta["bytes"] for name, meta in result.files.items()},
}))
"""

QUERY = """
import json, sys, time
from pathlib import Path
from pipeline.release import connect
from pipeline.sql import load_sql
conn = connect(Path(sys.argv[1]))
timings = []
for base_model in sys.argv[2:]:
    conn.execute("set variable base_model = ?", [base_model])
    for attempt in ("cold", "warm"):
        started = time.perf_counter()
        rows = conn.sql(load_sql("examples/descendants_of_model")).fetchall()
        timings.append({
            "base_model": base_model, "run": attempt,
            "seconds": time.perf_counter() - started, "rows": len(rows),
            "licenses": len({r[3] for r in rows}),
        })
print(json.dumps(timings))
"""


def run_child(code: str, *args: str) -> object:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, check=False
    )
    if done.returncode != 0:
        sys.exit(f"child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=3_000_000)
    parser.add_argument("--out", type=Path, default=None, help="output root (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the output root")
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    import numpy as np

    from pipeline.paths import Layout
    from pipeline.release.demo import write_demo_warehouse

    root = args.out or Path(tempfile.mkdtemp(prefix="bench-release-"))
    layout = Layout(root)
    started = time.perf_counter()
    truth = write_demo_warehouse(layout, SNAPSHOT_DATE, n_models=args.models, seed=1)
    generated = time.perf_counter() - started
    print(f"generated {args.models:,} models in {generated:.1f} s: {truth.rows}")

    # The machine is shared: the load says how much of its CPUs the figures below had.
    print("load average before publishing: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    published = run_child(PUBLISH, str(root), SNAPSHOT_DATE.isoformat())
    total_bytes = sum(published["bytes"].values())
    print(
        f"publish: {published['seconds']:.1f} s, peak RSS {published['peak_rss_mb']:.0f} MB, "
        f"{total_bytes / 1e6:.0f} MB written"
    )
    for name, size in sorted(published["bytes"].items()):
        print(f"  {name:28} {size / 1e6:9.1f} MB")

    # The largest family's root, and a mid-sized one.
    families, counts = np.unique(truth.family[truth.parent >= 0], return_counts=True)
    order = np.argsort(-counts)
    bases = [
        str(truth.model_ids[families[order[0]]]),
        str(truth.model_ids[families[order[len(order) // 100]]]),
    ]
    for timing in run_child(QUERY, str(root), *bases):
        print(
            f"descendants of {timing['base_model']} ({timing['run']}): {timing['seconds']:.3f} s, "
            f"{timing['rows']:,} rows, {timing['licenses']} licenses"
        )
    if args.out is None and not args.keep:
        shutil.rmtree(root)
    else:
        print(f"output kept in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
