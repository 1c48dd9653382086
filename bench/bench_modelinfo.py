"""What the shapes researchers save ModelInfo objects in cost the replay and staging.

    uv run python bench/bench_modelinfo.py [--models 10000 30000] [--hubdata ../shared/hubdata]

The recorded API bodies with a card and a file list (../shared/hubdata/api-responses, one per
repository) are repeated to N records under distinct ids, in three shapes:
- `api`: as the Hub sent them (the card an object);
- `modelinfo`: huggingface_hub's ModelInfo saved with `json.dumps(vars(info), default=str)`, the
  card its YAML text (pipeline/cards.py reads it);
- `tree`: those dicts wrapped as the family-tree scrapes hold them (`{"model_id", "metadata":
  "<the dict as JSON text>", "depth", "children"}`; the replay unwraps them).
Each is written as JSON Lines (gzip, level 2), replayed, then staged in this process (plain
functions, the same DuckDB settings as a day). Prints wall and CPU seconds of the replay and of
staging for each shape, their ratio to `api`, and the YAML card function alone over the
distinct cards.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from huggingface_hub import ModelInfo
from isal import igzip

from pipeline.cards import card_yaml_as_json
from pipeline.hub.replay import replay_file
from pipeline.paths import Layout
from pipeline.staging import stage_models

DAY = date(2025, 3, 21)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(fn, *args) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    fn(*args)
    return time.perf_counter() - wall, _cpu() - cpu


def _bodies(hubdata: Path) -> list[dict]:
    bodies, seen = [], set()
    for path in sorted((hubdata / "api-responses").glob("*_200_*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        if body.get("cardData") and "siblings" in body and body["_id"] not in seen:
            seen.add(body["_id"])
            bodies.append(body)
    return bodies


def _lines(shape: str, bodies: list[dict], n: int) -> list[str]:
    # each distinct body goes through ModelInfo once; the copies only change their ids
    saved = [
        body if shape == "api" else json.loads(json.dumps(vars(ModelInfo(**body)), default=str))
        for body in bodies
    ]
    lines = []
    for i in range(n):
        item = dict(saved[i % len(saved)])
        item["id"] = item["modelId"] = f"{item['id']}-{i}"
        item["_id"] = f"{i:024x}"
        line = json.dumps(item)
        if shape == "tree":
            line = json.dumps({"model_id": item["id"], "metadata": line, "depth": 1})
        lines.append(line)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[10_000, 30_000])
    parser.add_argument("--hubdata", type=Path, default=Path("../shared/hubdata"))
    args = parser.parse_args()
    bodies = _bodies(args.hubdata)
    cards = [str(ModelInfo(**b).card_data) for b in bodies]
    wall = time.perf_counter()
    rounds = 100
    for _ in range(rounds):
        for text in cards:
            card_yaml_as_json(text)
    per_second = rounds * len(cards) / (time.perf_counter() - wall)
    sizes = sorted(len(c) for c in cards)
    print(
        f"{len(cards)} distinct records; cards of {sizes[len(sizes) // 2]} characters at the "
        f"median, {sizes[-1]} at most; the YAML card function alone: {per_second:,.0f} cards/s"
    )
    print("| records | shape | gzip MB | replay: wall, CPU | staging: wall, CPU | ÷ api (both) |")
    print("|---:|---|---:|---:|---:|---:|")
    for n in args.models:
        base = None
        for shape in ("api", "modelinfo", "tree"):
            with tempfile.TemporaryDirectory() as tmp:
                source = Path(tmp) / f"{shape}.jsonl.gz"
                text = "".join(line + "\n" for line in _lines(shape, bodies, n))
                source.write_bytes(igzip.compress(text.encode(), compresslevel=2))
                layout = Layout(Path(tmp) / "out")
                replay = _timed(replay_file, source, layout.raw_models(DAY), DAY)
                staging = _timed(stage_models, layout, DAY)
                size = source.stat().st_size / 1e6
            both = replay[0] + staging[0]
            base = base or both
            print(
                f"| {n:,} | {shape} | {size:,.0f} | {replay[0]:.2f} s, {replay[1]:.2f} CPU-s "
                f"| {staging[0]:.2f} s, {staging[1]:.2f} CPU-s | {both / base:.1f}x |"
            )


if __name__ == "__main__":
    main()
