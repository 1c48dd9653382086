"""Benchmark: the licences stage on a synthetic `models_staged` partition of N models.

    uv run python bench/bench_licenses.py --rows 3000000

Writes a staged partition (columns of docs/ARCHITECTURE.md) whose licence declarations are drawn
from a pool shaped like the Hub's: mostly clean Hub ids, `other` + `license_name` / `license_link`,
legacy free text, lists, junk names, thousands of one-off custom names, links to other repos, no
licence at all. Then runs `build_model_licenses` in a child process and reports its wall time and
peak RSS (generation is not measured).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from pipeline.paths import Layout

SNAPSHOT = date(2026, 3, 1)

# (weight, license, license_name, license_link); license is a string, a list or None
POOL: list[tuple[float, object, str | None, str | None]] = [
    (30.0, "apache-2.0", None, None),
    (12.0, "mit", None, None),
    (25.0, None, None, None),
    (3.0, "openrail", None, None),
    (2.0, "creativeml-openrail-m", None, None),
    (2.0, "cc-by-nc-4.0", None, None),
    (1.5, "cc-by-4.0", None, None),
    (1.5, "llama3.1", None, None),
    (1.0, "llama3", None, None),
    (1.0, "llama2", None, None),
    (1.0, "gemma", None, None),
    (1.0, "other", None, None),
    (0.5, "unknown", None, None),
    (0.5, "gpl-3.0", None, None),
    (0.5, "bsd-3-clause", None, None),
    (0.3, "bsd", None, None),
    (0.5, "other", "qwen", "https://huggingface.co/Qwen/Qwen2.5-72B-Instruct/blob/main/LICENSE"),
    (0.3, "other", "qwen-research", "LICENSE"),
    (0.5, "other", "flux-1-dev-non-commercial-license", "LICENSE.md"),
    (0.3, "other", "stabilityai-ai-community", "LICENSE.md"),
    (0.3, "other", "gemma-terms-of-use", "https://ai.google.dev/gemma/terms"),
    (0.2, "other", "deepseek-license", "LICENSE-MODEL"),
    (0.2, "other", "exaone", "LICENSE"),
    (0.2, "other", "mrl", "https://mistral.ai/licenses/MRL-0.1.md"),
    (0.2, "other", "llama4", None),
    (0.2, "other", None, "https://huggingface.co/org0/model-1/blob/main/LICENSE"),
    (0.2, "other", "m", "LICENSE"),
    (0.1, "other", "private", None),
    (0.2, "Apache 2.0", None, None),
    (0.1, "Apache License, Version 2.0", None, None),
    (0.1, "MIT License", None, None),
    (0.1, "CC BY-NC 4.0", None, None),
    (0.1, "gpl-3", None, None),
    (0.1, ["apache-2.0", "mit"], None, None),
    (0.1, ["apache-2.0", "cc-by-nc-4.0"], None, None),
    (0.05, "apache-2.0, mit", None, None),
    (0.05, "???", None, None),
]
CUSTOM_SHARE = 0.01  # one-off `license_name`s: the long tail that makes declarations distinct
CUSTOM_NAMES = 20_000

SIBLINGS = [
    ["config.json", "model.safetensors", "README.md"],
    ["config.json", "pytorch_model.bin", "README.md"],
    ["adapter_config.json", "adapter_model.safetensors"],
    ["README.md", ".gitattributes"],
    ["model-q4_k_m.gguf", "README.md"],
    ["config.json", "model.safetensors", "train.py"],
]
SIBLING_WEIGHTS = [0.5, 0.2, 0.1, 0.12, 0.06, 0.02]


def generate(layout: Layout, rows: int, seed: int = 7) -> Path:
    rng = np.random.default_rng(seed)
    weights = np.array([p[0] for p in POOL])
    choice = rng.choice(len(POOL), size=rows, p=weights / weights.sum())
    custom = rng.random(rows) < CUSTOM_SHARE
    custom_no = rng.integers(0, CUSTOM_NAMES, size=rows)

    def lic_list(v: object) -> list[str] | None:
        return None if v is None else [v] if isinstance(v, str) else list(v)

    pool_license = [lic_list(p[1]) for p in POOL]
    pool_tags = [
        [f"license:{x}" for x in (lic or []) if x.replace("-", "").replace(".", "").isalnum()]
        for lic in pool_license
    ]
    frame = pl.DataFrame(
        {
            "snapshot_date": pl.Series([SNAPSHOT] * rows, dtype=pl.Date),
            "model_id": [f"org{i % 50_000}/model-{i}" for i in range(rows)],
            "hub_id": [f"{i:024x}" for i in range(rows)],
            "choice": choice,
            "custom": custom,
            "custom_no": custom_no,
            "sib": rng.choice(len(SIBLINGS), size=rows, p=SIBLING_WEIGHTS),
            "has_arxiv": rng.random(rows) < 0.08,
            "has_dataset": rng.random(rows) < 0.15,
        }
    )
    pool = pl.DataFrame(
        {
            "choice": list(range(len(POOL))),
            "card_license": pool_license,
            "license_tags": pool_tags,
            "pool_name": [p[2] for p in POOL],
            "card_license_link": [p[3] for p in POOL],
            "card_data": [
                json.dumps(
                    {
                        k: v
                        for k, v in (
                            ("license", p[1]),
                            ("license_name", p[2]),
                            ("license_link", p[3]),
                        )
                        if v is not None
                    }
                )
                for p in POOL
            ],
        },
        schema_overrides={"card_license": pl.List(pl.String), "license_tags": pl.List(pl.String)},
    )
    sib = pl.DataFrame({"sib": list(range(len(SIBLINGS))), "siblings": SIBLINGS})
    frame = (
        frame.join(pool, on="choice", how="left")
        .join(sib, on="sib", how="left")
        .with_columns(
            card_license_name=pl.when(pl.col("custom"))
            .then(pl.format("custom-license-{}", pl.col("custom_no")))
            .otherwise(pl.col("pool_name")),
            tags=pl.concat_list(
                pl.col("license_tags"),
                pl.when(pl.col("has_arxiv"))
                .then(pl.lit(["arxiv:2401.00001"]))
                .otherwise(pl.lit([], dtype=pl.List(pl.String))),
                pl.when(pl.col("has_dataset"))
                .then(pl.lit(["dataset:org/data"]))
                .otherwise(pl.lit([], dtype=pl.List(pl.String))),
            ),
            card_datasets=pl.lit(None, dtype=pl.List(pl.String)),
            base_model_tags=pl.when(pl.col("sib") == 2)
            .then(pl.lit(["base_model:adapter:org0/model-0"]))
            .otherwise(pl.lit([], dtype=pl.List(pl.String))),
            card_base_model=pl.lit(None, dtype=pl.List(pl.String)),
            card_base_model_relation=pl.lit(None, dtype=pl.String),
            gguf_present=pl.col("sib") == 4,
            author=pl.col("model_id").str.split("/").list.first(),
        )
        .select(
            "snapshot_date",
            "model_id",
            "hub_id",
            "author",
            "tags",
            "license_tags",
            "card_license",
            "card_license_name",
            "card_license_link",
            "base_model_tags",
            "card_base_model",
            "card_base_model_relation",
            "card_datasets",
            "siblings",
            "gguf_present",
            "card_data",
        )
    )
    target = layout.table_partition("models_staged", SNAPSHOT)
    target.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect()
    conn.register("frame", frame)
    conn.execute(
        "copy (select * replace (card_data::json as card_data) from frame) to ? (format parquet)",
        [str(target)],
    )
    return target


def run_build(root: Path) -> None:
    from pipeline.licenses import build_model_licenses

    start = time.perf_counter()
    result = build_model_licenses(Layout(root), SNAPSHOT)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "rows": result.rows,
                "distinct_declarations": result.distinct_declarations,
                "seconds": round(seconds, 2),
                "categories": result.category_counts,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--root", type=Path, default=None, help="keep the data here")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        run_build(args.root)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root or Path(tmp)
        t0 = time.perf_counter()
        generate(Layout(root), args.rows)
        print(f"generated {args.rows:,} staged rows in {time.perf_counter() - t0:.1f} s")
        child = subprocess.run(
            [sys.executable, __file__, "--build-only", "--root", str(root)],
            check=True,
            capture_output=True,
            text=True,
        )
        report = json.loads(child.stdout.strip().splitlines()[-1])
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(
            f"build_model_licenses: {report['rows']:,} models, "
            f"{report['distinct_declarations']:,} distinct declarations, "
            f"{report['seconds']} s wall, {usage.ru_utime + usage.ru_stime:.1f} s CPU "
            f"(child process incl. interpreter start), peak RSS {usage.ru_maxrss / 1024:.0f} MB"
        )
        print(json.dumps(report["categories"], sort_keys=True))


if __name__ == "__main__":
    main()
