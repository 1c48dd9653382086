"""Crawl throughput over loopback: models/s, the crawler's CPU seconds and its peak RSS.

    uv run python bench/bench_crawl.py --models 100000
    uv run python bench/bench_crawl.py --models 1000000 --state synthetic

The simulated Hub runs in a child process (its memory is not the crawler's); the crawler writes
a raw snapshot into a temporary directory. `--state world` serves the simulated world's day
(pipeline.simulator.world), `--state synthetic` a cheap generated listing that isolates the
crawler and HTTP costs from the world's generation cost.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

DAY = date(2025, 3, 1)


class SyntheticState:
    """`HubState` of n generated models shaped like listing items (about 1 KB each)."""

    def __init__(self, n: int, snapshot_date: date) -> None:
        self.n = n
        self.snapshot_date = snapshot_date

    def __len__(self) -> int:
        return self.n

    def _item(self, i: int) -> dict:
        model_id = f"org{i % 997}/model-{i:08d}"
        return {
            "_id": f"{0x65000000 + i:08x}{i:016x}",
            "id": model_id,
            "author": model_id.split("/")[0],
            "private": False,
            "pipeline_tag": "text-generation",
            "library_name": "transformers",
            "tags": ["transformers", "safetensors", "text-generation", "license:apache-2.0"],
            "downloads": i % 5000,
            "downloadsAllTime": i,
            "likes": i % 300,
            "trendingScore": i % 17,
            "gated": False,
            "disabled": False,
            "sha": f"{i:040x}",
            "lastModified": "2025-01-01T00:00:00.000Z",
            "createdAt": "2024-01-01T00:00:00.000Z",
            "cardData": {"license": "apache-2.0", "base_model": f"org1/model-{i // 2:08d}"},
            "siblings": [{"rfilename": f} for f in (".gitattributes", "config.json", "README.md")],
            "safetensors": {"parameters": {"BF16": i}, "total": i},
        }

    def iter_items(self) -> Iterator[dict]:
        return (self._item(i) for i in range(1, self.n + 1))

    def get_item(self, model_id: str) -> dict | None:
        try:
            i = int(model_id.rsplit("-", 1)[1])
        except (IndexError, ValueError):
            return None
        return self._item(i) if 1 <= i <= self.n else None

    def redirect_for(self, model_id: str) -> str | None:
        return None


def _serve(kind: str, n: int, seed: int, conn) -> None:
    from pipeline.simulator.server import SimulatedHub

    started = time.monotonic()
    if kind == "world":
        from pipeline.simulator.world import World, WorldConfig

        state = World(WorldConfig(seed=seed, start_date=DAY, n_models=n)).state(DAY)
    else:
        state = SyntheticState(n, DAY)
    hub = SimulatedHub(state)
    conn.send((hub.url, len(state), time.monotonic() - started))
    hub.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=100_000)
    parser.add_argument("--state", choices=("world", "synthetic"), default="world")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()

    parent, child = mp.Pipe()
    server = mp.get_context("fork").Process(
        target=_serve, args=(args.state, args.models, args.seed, child), daemon=True
    )
    server.start()
    url, n_models, build_s = parent.recv()

    from pipeline.hub import crawl_models

    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        # this process only (its threads included): the server's CPU is its own child's
        cpu_started = time.process_time()
        manifest = crawl_models(url, Path(tmp) / "raw", DAY, page_size=args.page_size)
        elapsed = time.monotonic() - started
        cpu = time.process_time() - cpu_started
        raw_bytes = sum(f.bytes for f in manifest.files)
    server.terminate()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert manifest.model_count == n_models, (manifest.model_count, n_models)
    print(
        f"state={args.state} models={manifest.model_count} pages={manifest.pages} "
        f"state_build_s={build_s:.1f} crawl_s={elapsed:.1f} crawl_cpu_s={cpu:.1f} "
        f"models_per_s={manifest.model_count / elapsed:,.0f} "
        f"received_mb={manifest.bytes / 1e6:.0f} raw_gz_mb={raw_bytes / 1e6:.0f} "
        f"crawler_peak_rss_mb={peak_mb:.0f}"
    )


if __name__ == "__main__":
    main()
