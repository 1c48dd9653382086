"""Write one simulated day's listing as JSON Lines: one `/api/models` item per line, in `_id`
order, streamed so that millions of models need bounded memory."""

from __future__ import annotations

import gzip
import json
import time
from datetime import date
from pathlib import Path

from pipeline.simulator.eras import DEFAULT_ERA, EraState, check_era
from pipeline.simulator.protocol import HubState
from pipeline.simulator.world import World, WorldConfig
from pipeline.storage import atomic_target

_BATCH = 2_000


def _open(out: Path, compress: str | None) -> list:
    """Writers to close in order; the first one takes the bytes."""
    if compress is None:
        return [open(out, "wb")]
    if compress == "gzip":
        raw = open(out, "wb")  # noqa: SIM115 - closed by the caller
        # level 5: near level 6's size at a clearly higher speed on JSON text; mtime 0 and no
        # file name keep the bytes identical from run to run
        return [gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=5, mtime=0), raw]
    if compress == "zstd":
        import pyarrow as pa

        return [pa.CompressedOutputStream(str(out), "zstd")]
    raise ValueError(f"unknown compression {compress!r}: use 'gzip', 'zstd' or None")


def _lines(batch: list[str]) -> bytes:
    # U+2028/U+2029 are valid raw in JSON but break readers that split lines the Unicode way
    text = "\n".join(batch) + "\n"
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def compression_for(out: Path) -> str | None:
    suffix = Path(out).suffix.lower()
    return {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}.get(suffix)


def export_listing(
    world_or_state: World | HubState,
    day: date,
    out: Path,
    compress: str | type[...] | None = ...,
    era: str = DEFAULT_ERA,
) -> dict:
    """Write the listing of `day` to `out` (compression from the suffix unless given: .gz gzip,
    .zst zstd, else none) in the record shape of `era` (eras.py). The file appears only once
    complete (written to a temp name first).
    Returns {"path", "models", "bytes", "seconds", "items_per_second", "compress"}."""
    state = world_or_state.state(day) if isinstance(world_or_state, World) else world_or_state
    if check_era(era) != DEFAULT_ERA:
        state = EraState(state, era)
    if state.snapshot_date != day:
        raise ValueError(f"state is for {state.snapshot_date}, not {day}")
    out = Path(out)
    if compress is ...:
        compress = compression_for(out)
    started = time.perf_counter()
    n = 0
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with atomic_target(out) as tmp:
        writers = _open(tmp, compress)
        fh = writers[0]
        try:
            batch: list[str] = []
            for item in state.iter_items():
                batch.append(encode(item))
                if len(batch) >= _BATCH:
                    fh.write(_lines(batch))
                    n += len(batch)
                    batch = []
            if batch:
                fh.write(_lines(batch))
                n += len(batch)
        finally:
            for w in writers:
                w.close()
    seconds = time.perf_counter() - started
    return {
        "path": str(out),
        "models": n,
        "bytes": out.stat().st_size,
        "seconds": round(seconds, 3),
        "items_per_second": round(n / seconds, 1) if seconds > 0 else None,
        "compress": compress,
    }


def main_export(
    models: int,
    day: date,
    out: Path,
    seed: int = 0,
    era: str = DEFAULT_ERA,
    start: date | None = None,
) -> dict:
    """`hub-census simulate export`: the listing of `day` of a world of `models` public models
    that starts on `start` (default `day`), written in the record shape of `era`. Two days of
    one world (the same `start` and seed) share their models, as two days of the Hub do."""
    world = World(WorldConfig(seed=seed, start_date=start or day, n_models=models))
    stats = export_listing(world, day, Path(out), era=era)
    print(
        f"wrote {stats['models']:,} models to {stats['path']} "
        f"({stats['bytes']:,} bytes, {stats['seconds']:.1f} s, "
        f"{stats['items_per_second']:,.0f} items/s)"
    )
    return stats
