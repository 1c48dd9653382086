"""Time and peak memory of staging one raw snapshot.

    uv run python bench/bench_staging.py --models 1000000 [--synthetic] [--root DIR]
    uv run python bench/bench_staging.py --input items.jsonl

The raw directory is built first (pages of 1,000 items, gzip, `_manifest.json`), then staging runs
in a fresh child process so that its peak RSS is not mixed with the cost of building the input.
Items come from `--input` (JSON Lines, one `/api/models` item a line), from one simulated day
(`pipeline.simulator.export.export_listing`) when the simulator is installed, or from a synthetic
generator shaped like real full listing items (`--synthetic`, or no simulator). With `--root`, a
raw snapshot already built there is staged again instead of being rebuilt (building a million
simulated items takes minutes; staging should not).
`cpu_seconds` is reported beside wall time because the machine may be shared.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

PAGE_SIZE = 1000
SNAPSHOT_DATE = date(2026, 1, 1)

_LICENSES = ["apache-2.0", "mit", "llama3.1", "other", "cc-by-nc-4.0", "openrail"]
_PIPELINES = ["text-generation", "text-classification", "image-classification", None]
_FILES = [".gitattributes", "README.md", "config.json", "tokenizer.json", "model.safetensors"]


def synthetic_items(n: int, seed: int = 0) -> Iterator[dict]:
    """`n` items shaped like `list_models(full=True, cardData=True)` output (about 1.5 KB each)."""
    rng = random.Random(seed)
    for i in range(n):
        org = f"org-{i % 20_000}"
        model_id = f"{org}/model-{i}"
        license_id = rng.choice(_LICENSES)
        parent = f"org-{rng.randrange(20_000)}/model-{rng.randrange(max(i, 1))}"
        base_model: str | list[str] | None = rng.choice([parent, [parent], None])
        tags = ["transformers", "safetensors", "llama", "en", f"license:{license_id}", "region:us"]
        if base_model is not None:
            tags += [f"base_model:{parent}", f"base_model:finetune:{parent}"]
        card = {"license": license_id, "language": ["en"], "tags": ["demo"]}
        if base_model is not None:
            card["base_model"] = base_model
        if license_id == "other":
            card |= {"license_name": "custom-license", "license_link": "LICENSE"}
        item = {
            "_id": f"{i:024x}",
            "id": model_id,
            "private": False,
            "pipeline_tag": rng.choice(_PIPELINES),
            "library_name": "transformers",
            "tags": tags,
            "downloads": rng.randrange(1_000_000),
            "likes": rng.randrange(5_000),
            "modelId": model_id,
            "author": org,
            "sha": hashlib.sha1(model_id.encode()).hexdigest(),
            "lastModified": "2025-03-19T07:58:51.000Z",
            "gated": rng.choice([False, False, False, "auto", "manual"]),
            "disabled": False,
            "cardData": card,
            "siblings": [{"rfilename": f} for f in _FILES],
            "createdAt": rng.choice(["2024-07-18T08:56:00.000Z", "2022-03-02T23:29:04.000Z"]),
            "trendingScore": rng.random() * 10,
            "downloadsAllTime": rng.randrange(10_000_000),
        }
        if rng.random() < 0.5:
            total = rng.randrange(10**6, 10**11)
            item["safetensors"] = {"parameters": {"BF16": total}, "total": total}
        yield item


def simulator_export(n: int, out: Path) -> Path | None:
    """One simulated day of about `n` public models exported to `out`; None without a simulator."""
    try:
        from pipeline.simulator.export import export_listing
        from pipeline.simulator.world import World, WorldConfig
    except ImportError:
        return None
    world = World(WorldConfig(n_models=n, start_date=SNAPSHOT_DATE))
    export_listing(world, SNAPSHOT_DATE, out, compress=None)
    return out


def write_raw(raw_dir: Path, lines: Iterable[str]) -> int:
    """Write JSON lines as gzip pages plus `_manifest.json`; return the number of lines."""
    raw_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    pages = 0
    page: list[str] = []
    for line in _with_end(lines):
        if line is not None:
            page.append(line)
            count += 1
        if page and (line is None or len(page) == PAGE_SIZE):
            pages += 1
            with gzip.open(raw_dir / f"page-{pages:06d}.jsonl.gz", "wt", compresslevel=6) as fh:
                fh.write("\n".join(page) + "\n")
            page = []
    (raw_dir / "_manifest.json").write_text(json.dumps({"lines": count}), encoding="utf-8")
    return count


def _with_end(lines: Iterable[str]) -> Iterator[str | None]:
    yield from lines
    yield None


def stage_once(root: Path, threads: int) -> dict:
    """Stage the bench snapshot in this process; report time, rows and this process's peak RSS."""
    import duckdb

    from pipeline.paths import Layout
    from pipeline.staging import stage_models

    with duckdb.connect() as conn:
        conn.execute("set threads = ?", [threads])
        result = stage_models(Layout(root), SNAPSHOT_DATE, conn)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "rows_staged": result.rows_staged,
        "rows_quarantined": result.rows_quarantined,
        "quarantine_by_reason": result.quarantine_by_reason,
        "seconds": round(result.seconds, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", type=Path, help="JSON Lines file, one item a line")
    source.add_argument("--models", type=int, help="number of simulated or synthetic models")
    parser.add_argument("--synthetic", action="store_true", help="skip the simulator")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--root", type=Path, help="output root to reuse (default: a temp dir)")
    parser.add_argument("--stage-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.stage_only:
        print(json.dumps(stage_once(args.root, args.threads)))
        return

    with tempfile.TemporaryDirectory(prefix="bench_staging_") as tmp:
        root = args.root or Path(tmp)
        raw_dir = root / "raw" / "models" / f"snapshot_date={SNAPSHOT_DATE.isoformat()}"
        started = time.perf_counter()
        if (raw_dir / "_manifest.json").is_file():
            lines = None  # counted by staging: rows_staged + rows_quarantined
            origin = f"existing {raw_dir}"
        else:
            listing = args.input
            origin = str(args.input)
            if listing is None and not args.synthetic:
                listing = simulator_export(args.models, Path(tmp) / "listing.jsonl")
                origin = "simulator (export_listing)"
            if listing is not None:
                with listing.open(encoding="utf-8") as fh:
                    lines = write_raw(raw_dir, (line.rstrip("\n") for line in fh if line.strip()))
            else:
                origin = "synthetic"
                items = synthetic_items(args.models)
                lines = write_raw(raw_dir, (json.dumps(i, ensure_ascii=False) for i in items))
        built = time.perf_counter() - started
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--stage-only",
                "--models",
                "0",
                "--root",
                str(root),
                "--threads",
                str(args.threads),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        report = {"input": origin, "lines": lines, "build_seconds": round(built, 1)}
        report |= json.loads(child.stdout)
        print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
