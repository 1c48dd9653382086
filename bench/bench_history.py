"""Time and storage of building history day by day over an evolving world.

    uv run python bench/bench_history.py --models 1000000 --days 30
    uv run python bench/bench_history.py --models 1000000 --days 30 --json out.json
    uv run python bench/bench_history.py --models 1000000 --days 30 --first-runs 5

`models` partitions come from a vectorised synthetic world (numpy + Polars) that evolves like the
simulator's defaults: each day about 0.06% of public models are deleted, 0.02% made private,
0.06% renamed, 0.06% change licence, 0.04% change parents, 0.03% change gating, 0.4% are added,
and every all-time download counter grows. Generating a day is not timed; `build_history` for the
day is (fresh DuckDB connection, so no day benefits from a previous day's cache), and the bytes
each history table's partition adds are recorded. The first day, built from nothing, is built
`--first-runs` times and its median kept; later days build on the day before.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.history import HISTORY_TABLES, as_of, build_history
from pipeline.paths import Layout

START = date(2025, 4, 1)
LICENSES = pl.Series(
    ["apache-2.0", "mit", "llama3.1", "cc-by-nc-4.0", "other", "gpl-3.0", None], dtype=pl.String
)
CATEGORY = pl.Series(
    ["permissive", "permissive", "model-specific", "non-commercial", "unknown", "copyleft", None],
    dtype=pl.String,
)
TIER = pl.Series(
    ["open", "open", "restricted", "restricted", "unknown", "open", None], dtype=pl.String
)
PIPELINES = pl.Series(
    ["text-generation", "text-classification", "image-to-text", None], dtype=pl.String
)
LIBRARIES = pl.Series(["transformers", "diffusers", "gguf", "peft", None], dtype=pl.String)
RELATIONS = pl.Series([None, "finetune", "adapter", "quantized", "merge"], dtype=pl.String)
GATED = pl.Series(["no", "auto", "manual"], dtype=pl.String)
RATES = {
    "delete": 0.0006,
    "private": 0.0002,
    "rename": 0.0006,
    "license": 0.0006,
    "base": 0.0004,
    "gated": 0.0003,
    "growth": 0.004,
}


class SyntheticWorld:
    """Columns of every model ever created; a day's partition is a view of the live ones."""

    def __init__(self, n_models: int, days: int, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        capacity = int(n_models * (1 + RATES["growth"] * (days + 1))) + 1000
        self.n = n_models
        rng = self.rng
        idx = np.arange(capacity)
        self.parent = np.where(
            rng.random(capacity) < 0.3, (rng.random(capacity) * idx).astype(np.int64), -1
        )
        self.parent[0] = -1
        self.root, self.depth = _roots(self.parent)
        self.status = np.zeros(capacity, np.int8)  # 0 public, 1 deleted, 2 private
        self.version = np.zeros(capacity, np.int32)
        self.lic = rng.integers(0, len(LICENSES), capacity)
        self.gated = rng.choice(len(GATED), capacity, p=[0.9, 0.07, 0.03])
        self.pipe = rng.integers(0, len(PIPELINES), capacity)
        self.lib = rng.integers(0, len(LIBRARIES), capacity)
        self.rel = np.where(self.parent >= 0, rng.integers(1, len(RELATIONS), capacity), 0)
        self.created = np.datetime64("2021-01-01T00:00:00") + (
            rng.random(capacity) * 4 * 365 * 86400
        ).astype("timedelta64[s]")
        self.placeholder = rng.random(capacity) < 0.05
        self.all_time = rng.pareto(1.2, capacity).astype(np.int64) * 100
        self.likes = rng.pareto(1.5, capacity).astype(np.int64)

    def step(self, day: date) -> None:
        rng, n = self.rng, self.n
        public = np.flatnonzero(self.status[:n] == 0)

        def pick(rate: float) -> np.ndarray:
            return rng.choice(public, size=rng.binomial(public.size, rate), replace=False)

        self.status[pick(RATES["delete"])] = 1
        self.status[pick(RATES["private"])] = 2
        self.version[pick(RATES["rename"])] += 1
        changed = pick(RATES["license"])
        self.lic[changed] = (self.lic[changed] + 1) % len(LICENSES)
        changed = pick(RATES["base"])
        self.parent[changed] = (rng.random(changed.size) * changed).astype(np.int64)
        self.rel[changed] = np.maximum(self.rel[changed], 1)
        changed = pick(RATES["gated"])
        self.gated[changed] = (self.gated[changed] + 1) % len(GATED)
        self.all_time[:n] += rng.poisson(3, n)
        added = int(public.size * RATES["growth"])
        midnight = np.datetime64(day.isoformat() + "T00:00:00")
        self.created[n : n + added] = midnight + rng.integers(0, 86400, added).astype(
            "timedelta64[s]"
        )
        self.placeholder[n : n + added] = False
        self.n = n + added

    def frame(self, day: date) -> pl.DataFrame:
        n = self.n
        live = np.flatnonzero(self.status[:n] != 1)
        parent = self.parent[live]
        has_parent = parent >= 0
        safe_parent = np.where(has_parent, parent, 0)
        frame = pl.DataFrame(
            {
                "row": live,
                "version": self.version[live],
                "parent": parent,
                "parent_version": self.version[safe_parent],
                "root": self.root[live],
            }
        ).with_columns(
            hub_id=pl.col("row").cast(pl.String).str.zfill(24),
            model_id=pl.format(
                "org-{}/model-{}-v{}", pl.col("row") % 20_000, pl.col("row"), pl.col("version")
            ),
            parent_id=pl.format(
                "org-{}/model-{}-v{}",
                pl.col("parent") % 20_000,
                pl.col("parent"),
                pl.col("parent_version"),
            ),
            family=pl.format("org-{}/model-{}-v0", pl.col("root") % 20_000, pl.col("root")),
        )
        base_models = (
            pl.when(pl.col("parent") >= 0)
            .then(pl.concat_list(pl.col("parent_id")))
            .otherwise(pl.lit([], dtype=pl.List(pl.String)))
        )
        return frame.select(
            snapshot_date=pl.lit(day),
            model_id="model_id",
            hub_id="hub_id",
            is_private=pl.Series(self.status[live] == 2),
            created_at=pl.Series(self.created[live].astype("datetime64[us]")),
            created_at_is_placeholder=pl.Series(self.placeholder[live]),
            downloads_30d=pl.Series(self.all_time[live] // 20),
            downloads_all_time=pl.Series(self.all_time[live]),
            likes=pl.Series(self.likes[live]),
            pipeline_tag=PIPELINES.gather(self.pipe[live]),
            library_name=LIBRARIES.gather(self.lib[live]),
            gated=GATED.gather(self.gated[live]),
            license_id=LICENSES.gather(self.lic[live]),
            license_category=CATEGORY.gather(self.lic[live]),
            openness_tier=TIER.gather(self.lic[live]),
            base_models=base_models,
            base_relation=RELATIONS.gather(self.rel[live]),
            family="family",
            lineage_depth=pl.Series(self.depth[live]),
            n_descendants=pl.lit(0, dtype=pl.Int64),
        )


def _roots(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root and depth of every row by pointer jumping (parents always precede children)."""
    up = np.where(parent >= 0, parent, np.arange(parent.size))
    depth = (parent >= 0).astype(np.int32)  # distance to `up`
    while True:
        nxt = up[up]
        if np.array_equal(nxt, up):
            return up, depth
        depth = depth + depth[up]
        up = nxt


def _bytes(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def run(n_models: int, days: int, root: Path, first_runs: int = 3) -> dict:
    layout = Layout(root)
    world = SyntheticWorld(n_models, days)
    results = []
    for offset in range(days):
        day = START + timedelta(days=offset)
        if offset:
            world.step(day)
        started = time.perf_counter()
        frame = world.frame(day)
        path = layout.table_partition("models", day)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path, compression="zstd")
        generate = time.perf_counter() - started
        # the first day is built `first_runs` times (it rebuilds to the same bytes) so that the
        # comparison with the later days does not rest on one sample
        runs = []
        for _ in range(first_runs if offset == 0 else 1):
            started = time.perf_counter()
            result = build_history(layout, day)
            runs.append(time.perf_counter() - started)
        seconds = float(np.median(runs))
        table_bytes = {t: _bytes([layout.table_partition(t, day)]) for t in HISTORY_TABLES}
        results.append(
            {
                "day": day.isoformat(),
                "models_rows": frame.height,
                "models_bytes": path.stat().st_size,
                "generate_seconds": round(generate, 2),
                "history_seconds": round(seconds, 2),
                "history_seconds_runs": [round(r, 2) for r in runs],
                "timeline_mode": result.timeline_mode,
                "history_bytes": table_bytes,
                "changes": {k: v for k, v in result.changes.items() if v},
            }
        )
        print(
            f"{day}: {frame.height:>9,} models, history {seconds:6.2f}s, "
            f"+{sum(table_bytes.values()) / 1e6:7.2f} MB  {results[-1]['changes']}",
            flush=True,
        )
    conn = duckdb.connect()
    started = time.perf_counter()
    middle = START + timedelta(days=days // 2)
    as_of_rows = len(as_of(layout, middle, conn).select("hub_id").fetchall())
    as_of_seconds = time.perf_counter() - started
    return {
        "models": n_models,
        "days": days,
        "per_day": results,
        "as_of": {
            "day": middle.isoformat(),
            "rows": as_of_rows,
            "seconds": round(as_of_seconds, 2),
        },
    }


def summary(report: dict) -> str:
    per_day = report["per_day"]
    first, later = per_day[0], per_day[1:]
    later_s = [d["history_seconds"] for d in later] or [0.0]
    growth = [sum(d["history_bytes"].values()) for d in later] or [0]
    per_model = [d["history_seconds"] / d["models_rows"] * 1e6 for d in later] or [0.0]
    first_per_model = first["history_seconds"] / first["models_rows"] * 1e6
    lines = [
        f"history over {report['days']} days, {report['models']:,} models on day 1",
        f"  first day (baseline): median {first['history_seconds']:.2f}s of "
        f"{first['history_seconds_runs']}, {first_per_model:.2f} us/model, "
        f"{sum(first['history_bytes'].values()) / 1e6:.1f} MB",
        f"  later days: median {np.median(later_s):.2f}s "
        f"({np.median(later_s) / first['history_seconds']:.2f}x the first day), "
        f"max {max(later_s):.2f}s, last {later_s[-1]:.2f}s; "
        f"median {np.median(per_model):.2f} us/model",
        f"  storage per later day: median {np.median(growth) / 1e6:.2f} MB "
        f"(by table, last day: "
        + ", ".join(f"{t} {b / 1e6:.2f} MB" for t, b in per_day[-1]["history_bytes"].items())
        + ")",
        f"  models partition per day: {per_day[-1]['models_bytes'] / 1e6:.1f} MB",
        f"  as_of({report['as_of']['day']}) over all partitions: {report['as_of']['seconds']:.2f}s "
        f"for {report['as_of']['rows']:,} models",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--root", type=Path, default=None, help="keep the output here")
    parser.add_argument("--json", type=Path, default=None, help="write the measurements here")
    parser.add_argument(
        "--first-runs", type=int, default=3, help="times to build the first day (median kept)"
    )
    args = parser.parse_args()
    if args.root is not None:
        report = run(args.models, args.days, args.root, args.first_runs)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            report = run(args.models, args.days, Path(tmp), args.first_runs)
    print(summary(report))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
