"""Listing exports: valid JSON Lines, one item per public model, byte-identical per seed."""

from __future__ import annotations

import gzip
import json
from datetime import date

import pyarrow as pa
import pytest

from pipeline.simulator.export import export_listing, main_export
from pipeline.simulator.world import World, WorldConfig

DAY = date(2026, 2, 1)


@pytest.fixture(scope="module")
def world():
    return World(WorldConfig(seed=5, start_date=DAY, n_models=4_000))


def test_gzip_export_has_one_line_per_public_model(world, tmp_path):
    out = tmp_path / "listing.jsonl.gz"
    stats = export_listing(world, DAY, out)
    state = world.state(DAY)
    lines = gzip.decompress(out.read_bytes()).decode().splitlines()
    assert stats["models"] == len(lines) == len(state) == 4_000
    assert stats["compress"] == "gzip" and stats["bytes"] == out.stat().st_size
    items = [json.loads(line) for line in lines]
    ids = [it["_id"] for it in items]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert items[17] == state.get_item(items[17]["id"])
    assert not list(tmp_path.glob(".*.tmp"))


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    paths = []
    for i, seed in enumerate((9, 9, 10)):
        w = World(WorldConfig(seed=seed, start_date=DAY, n_models=1_500))
        paths.append(tmp_path / f"l{i}.jsonl.gz")
        export_listing(w, DAY, paths[-1])
    a, b, c = (p.read_bytes() for p in paths)
    assert a == b
    assert gzip.decompress(a) != gzip.decompress(c)


def test_zstd_and_plain_by_suffix(world, tmp_path):
    plain = tmp_path / "l.jsonl"
    zst = tmp_path / "l.jsonl.zst"
    state = world.state(DAY)
    export_listing(state, DAY, plain)
    stats = export_listing(state, DAY, zst)
    assert stats["compress"] == "zstd"
    with pa.CompressedInputStream(pa.OSFile(str(zst)), "zstd") as fh:
        assert fh.read() == plain.read_bytes()
    with pytest.raises(ValueError):
        export_listing(state, date(2026, 2, 2), plain)


def test_main_export(tmp_path, capsys):
    out = tmp_path / "x.jsonl.gz"
    stats = main_export(models=300, day=DAY, out=out, seed=1)
    assert stats["models"] == 300
    assert "300 models" in capsys.readouterr().out


def test_a_later_date_of_the_same_world_with_start(world, tmp_path):
    # `simulate export --start D --date D+1`: the world that started on D, a day on (the day-2
    # input of bench/bench_day.py); without --start the later date is another world
    later = date(2026, 2, 2)
    out = tmp_path / "later.jsonl"
    main_export(models=4_000, day=later, out=out, seed=5, start=DAY)
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    truth = world.state(later)
    assert len(exported) == len(truth)
    assert all(item == truth.get_item(item["id"]) for item in exported[::97])
    first = {item["_id"] for item in world.state(DAY).iter_items()}
    same_world = {item["_id"] for item in exported}
    other = tmp_path / "other.jsonl"
    main_export(models=4_000, day=later, out=other, seed=5)
    other_world = {json.loads(line)["_id"] for line in other.read_text().splitlines()}
    assert len(first & same_world) > 0.95 * len(first)
    assert len(first & other_world) < 0.5 * len(first)
