"""Releases of simulated days built by every real stage: checksums, identical re-publish,
Croissant, and the previous release left alone."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import mlcroissant as mlc
import pytest

from pipeline.daily import build_day
from pipeline.hub.replay import replay_file
from pipeline.paths import Layout
from pipeline.release import publish_release
from pipeline.simulator.export import export_listing
from pipeline.simulator.truth import compute_truth
from pipeline.simulator.world import World, WorldConfig

START = date(2026, 4, 1)
DAYS = [START + timedelta(days=k) for k in range(3)]


def _build(root: Path, listings: Path, world: World) -> Layout:
    layout = Layout(root)
    with duckdb.connect() as conn:
        for day in DAYS:
            listing = listings / f"{day}.jsonl.gz"
            if not listing.exists():
                export_listing(world, day, listing)
            replay_file(listing, layout.raw_models(day), day)
            build_day(layout, day, conn)
            publish_release(layout, day, pipeline_version="test", source_commit=None)
    return layout


@pytest.fixture(scope="module")
def two_roots(tmp_path_factory):
    world = World(WorldConfig(seed=12, start_date=START, n_models=600))
    listings = tmp_path_factory.mktemp("listings")
    first = _build(tmp_path_factory.mktemp("a"), listings, world)
    second = _build(tmp_path_factory.mktemp("b"), listings, world)
    return world, first, second


def test_manifest_checksums_are_those_of_the_files(two_roots):
    _, layout, _ = two_roots
    for day in DAYS:
        release = layout.release(day)
        manifest = json.loads((release / "manifest.json").read_text())
        for name, meta in manifest["files"].items():
            data = (release / name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == meta["sha256"], name
            assert len(data) == meta["bytes"], name


def test_models_of_each_release_are_the_public_models_of_the_truth(two_roots):
    world, layout, _ = two_roots
    for day in DAYS:
        ids = duckdb.sql(
            "select model_id from read_parquet(?)",
            params=[str(layout.release(day) / "models.parquet")],
        ).fetchall()
        assert {i for (i,) in ids} == set(compute_truth(world, day).models["model_id"])


def test_the_same_inputs_publish_byte_identical_releases(two_roots):
    _, first, second = two_roots
    for day in DAYS:
        a, b = first.release(day), second.release(day)
        names = sorted(p.name for p in a.iterdir())
        assert names == sorted(p.name for p in b.iterdir())
        for name in names:
            if name == "manifest.json":
                continue
            assert (a / name).read_bytes() == (b / name).read_bytes(), (day, name)
        # The two roots replayed the listing separately: the manifests differ only in the raw
        # snapshot they quote (its crawl took another few milliseconds), never in the release.
        manifests = [json.loads((r / "manifest.json").read_text()) for r in (a, b)]
        for manifest in manifests:
            manifest.pop("source_snapshot")
        assert manifests[0] == manifests[1], day


def test_republishing_a_day_reuses_it_and_leaves_the_others(two_roots):
    _, layout, _ = two_roots
    before = {d: (layout.release(d) / "manifest.json").read_bytes() for d in DAYS}
    result = publish_release(layout, DAYS[1], pipeline_version="test", source_commit=None)
    assert result.was_reused
    assert {d: (layout.release(d) / "manifest.json").read_bytes() for d in DAYS} == before
    assert (layout.releases() / "LATEST").read_text().strip() == str(DAYS[-1])


def test_croissant_of_a_simulated_release_validates(two_roots):
    _, layout, _ = two_roots
    dataset = mlc.Dataset(jsonld=layout.release(DAYS[-1]) / "croissant.json")
    assert not dataset.metadata.issues.errors
