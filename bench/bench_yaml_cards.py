"""What reading cards kept as YAML text costs staging.

    uv run python bench/bench_yaml_cards.py [--models 10000 30000] [--hubdata ../shared/hubdata]

The recorded API bodies with a card (../shared/hubdata/api-responses, one per repository) are
repeated to N records under distinct ids, in two shapes: as the Hub sent them (the card an
object) and as huggingface_hub's ModelInfo saved with `json.dumps(vars(info), default=str)` (the
card its YAML text). Each is replayed, then staged in this process (plain functions, the same
DuckDB settings as a day); the table gives staging's wall and CPU seconds for both shapes, their
ratio and the YAML cards read per second, plus the function alone over the distinct cards.
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

from pipeline.cards import card_yaml_as_json
from pipeline.hub.replay import replay_file
from pipeline.paths import Layout
from pipeline.staging import stage_models

DAY = date(2025, 3, 21)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _bodies(hubdata: Path) -> list[dict]:
    bodies, seen = [], set()
    for path in sorted((hubdata / "api-responses").glob("*_200_*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        if body.get("cardData") and body["_id"] not in seen:
            seen.add(body["_id"])
            bodies.append(body)
    return bodies


def _stage(items: list[dict], n: int, work: Path) -> tuple[float, float]:
    source = work / "in.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for i in range(n):
            item = dict(items[i % len(items)])
            item["id"] = item["modelId"] = f"{item['id']}-{i}"
            item["_id"] = f"{i:024x}"
            out.write(json.dumps(item) + "\n")
    layout = Layout(work / "out")
    replay_file(source, layout.raw_models(DAY), DAY)
    wall, cpu = time.perf_counter(), _cpu()
    result = stage_models(layout, DAY)
    assert result.rows_staged == n, result
    return time.perf_counter() - wall, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, nargs="+", default=[10_000, 30_000])
    parser.add_argument("--hubdata", type=Path, default=Path("../shared/hubdata"))
    args = parser.parse_args()
    api = _bodies(args.hubdata)
    saved = [json.loads(json.dumps(vars(ModelInfo(**b)), default=str)) for b in api]
    cards = [s["card_data"] for s in saved]
    wall = time.perf_counter()
    rounds = 100
    for _ in range(rounds):
        for text in cards:
            card_yaml_as_json(text)
    per_second = rounds * len(cards) / (time.perf_counter() - wall)
    sizes = sorted(len(c) for c in cards)
    print(
        f"{len(cards)} distinct cards, {sizes[len(sizes) // 2]} characters at the median, "
        f"{sizes[-1]} at most; the function alone: {per_second:,.0f} cards/s"
    )
    print(
        "| records | card an object: wall, CPU | card as YAML: wall, CPU | ratio | YAML cards/s |"
    )
    print("|---:|---:|---:|---:|---:|")
    for n in args.models:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            (work / "api").mkdir()
            (work / "yaml").mkdir()
            a_wall, a_cpu = _stage(api, n, work / "api")
            y_wall, y_cpu = _stage(saved, n, work / "yaml")
        print(
            f"| {n:,} | {a_wall:.2f} s, {a_cpu:.2f} CPU-s | {y_wall:.2f} s, {y_cpu:.2f} CPU-s "
            f"| {y_wall / a_wall:.1f}x | {n / (y_wall - a_wall):,.0f} |"
        )


if __name__ == "__main__":
    main()
