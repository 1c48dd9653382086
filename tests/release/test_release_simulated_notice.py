"""Simulated is said wherever a person looks: the crawl records it from what the endpoint
announces, and the manifest's source kind, the card's title and first lines, Croissant's
description and the report's banner say it; a release of the real Hub says none of it."""

from __future__ import annotations

import json

import mlcroissant as mlc
from conftest import DAYS, build_demo_days

from pipeline.hub.crawl import crawl_models
from pipeline.release import publish_release
from pipeline.report import write_report
from pipeline.simulator.server import SimulatedHub
from pipeline.simulator.world import World, WorldConfig

VERSION = {"pipeline_version": "test", "source_commit": None}


def _crawl(tmp_path, announce: bool) -> dict:
    world = World(WorldConfig(seed=3, start_date=DAYS[0], n_models=40))
    # Not announcing its date, the simulator answers as the live Hub does (its present is today).
    with SimulatedHub(world.state(DAYS[0]), announce_date=announce) as hub:
        manifest = crawl_models(hub.url, tmp_path / str(announce), DAYS[0], today=lambda: DAYS[0])
    return manifest.to_json()


def test_the_crawl_records_whether_the_endpoint_announced_a_simulation(tmp_path):
    simulated, silent = _crawl(tmp_path, announce=True), _crawl(tmp_path, announce=False)
    assert simulated["simulated"] is True and silent["simulated"] is False
    # Both addresses are loopback: the record comes from what the server said, not its address.
    assert simulated["endpoint"].startswith("http://127.0.0.1")
    assert silent["endpoint"].startswith("http://127.0.0.1")


def _release(tmp_path, simulated: bool):
    layout, _ = build_demo_days(tmp_path / "out", days=DAYS[:1], sizes=(200,))
    raw = {"source": "api", "endpoint": "http://127.0.0.1:9", "model_count": 200}
    if simulated:
        raw["simulated"] = True
    publish_release(layout, DAYS[0], source_manifest=raw, **VERSION)
    return layout


def test_a_simulated_release_says_so_in_manifest_card_and_croissant(tmp_path):
    layout = _release(tmp_path, simulated=True)
    directory = layout.release(DAYS[0])
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["source_kind"] == "simulated"

    card = (directory / "README.md").read_text()
    front, body = card.split("\n---\n", 1)
    assert "SIMULATED" in front  # pretty_name, which the Hub shows as the title
    first_lines = body.strip().splitlines()[:3]
    assert first_lines[0].startswith("# SIMULATED")
    assert "SIMULATED DATA" in first_lines[2] and "not from huggingface.co" in first_lines[2]
    assert "A census of every public model listed on the Hugging Face Hub" not in card

    croissant = json.loads((directory / "croissant.json").read_text())
    assert croissant["description"].startswith("SIMULATED DATA")
    assert "SIMULATED" in croissant["citeAs"]
    mlc.Dataset(jsonld=directory / "croissant.json")  # still valid Croissant


def test_a_release_of_the_hub_says_nothing_of_simulation(tmp_path):
    layout = _release(tmp_path, simulated=False)
    directory = layout.release(DAYS[0])
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["source_kind"] == "hub-api"
    for name in ("README.md", "croissant.json"):
        assert "SIMULATED" not in (directory / name).read_text(), name


def test_the_report_banner_says_simulated_when_the_raw_snapshot_was(tmp_path):
    layout, _ = build_demo_days(tmp_path / "out")
    page = write_report(layout, tmp_path / "plain")
    assert "SIMULATED" not in page.read_text()

    raw = layout.raw_models(DAYS[1])
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "_manifest.json").write_text(json.dumps({"source": "api", "simulated": True}))
    text = write_report(layout, tmp_path / "marked").read_text()
    body = text.split("<body", 1)[1].split(">", 1)[1]
    assert body.lstrip().startswith('<p class="simulated"')
    assert "SIMULATED DATA" in body and "1 snapshot(s)" in body
