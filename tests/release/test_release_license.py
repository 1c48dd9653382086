"""The licence a release is offered under follows the licences stated for its sources.

A backfill of two simulated dates stated as ODbL-1.0 (the weekly mirror of the hub-stats dump's
terms), then a date replayed without a statement: every release, the third included (it reads
the dates before it), is ODbL-1.0 on its card, in its Croissant metadata, BibTeX and manifest. A
permissive source leaves the census's ODC-By-1.0 and is credited; an unknown id is refused before
anything is built. Truth: the licences stated here, and the licence texts' own URLs.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import pytest

from pipeline.cli import EXIT_OK, EXIT_USAGE, main
from pipeline.data_license import release_license, stated_license
from pipeline.paths import Layout
from pipeline.release.manifest import read_manifest
from pipeline.simulator.export import export_listing
from pipeline.simulator.world import World, WorldConfig

START = date(2022, 3, 3)
DAYS = [START + timedelta(days=i) for i in range(3)]
ODBL_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
ODC_BY_URL = "https://opendatacommons.org/licenses/by/1-0/"


@pytest.fixture(scope="module")
def listings(tmp_path_factory) -> dict[date, object]:
    base = tmp_path_factory.mktemp("listings")
    world = World(WorldConfig(seed=3, start_date=START, n_models=150))
    files = {}
    for day in DAYS:
        (base / str(day)).mkdir()
        files[day] = base / str(day) / f"{day}.jsonl.gz"
        export_listing(world, day, files[day])
    return files


def _release(out, day: date) -> dict:
    release = Layout(out).release(day)
    croissant = json.loads((release / "croissant.json").read_text(encoding="utf-8"))
    card = (release / "README.md").read_text(encoding="utf-8")
    with duckdb.connect() as conn:
        stated = conn.execute(
            "select source_license from read_parquet(?)",
            [str(release / "snapshot_sources.parquet")],
        ).fetchone()[0]
    return {
        "front_matter": card.split("---")[1],
        "card": card,
        "croissant": croissant["license"],
        "cite": croissant["citeAs"],
        "manifest": read_manifest(release)["license"],
        "stated": stated,
    }


def test_a_share_alike_source_makes_every_later_release_share_alike(listings, tmp_path):
    out = tmp_path / "out"
    archive = tmp_path / "archive"
    archive.mkdir()
    for day in DAYS[:2]:
        (archive / listings[day].name).symlink_to(listings[day])
    args = ["backfill", str(archive), "--out", str(out), "--source-license", "ODbL-1.0"]
    assert main([*args, "--no-progress"]) == EXIT_OK
    run = ["run", "--date", str(DAYS[2]), "--from-file", str(listings[DAYS[2]])]
    assert main([*run, "--out", str(out), "--no-progress"]) == EXIT_OK

    for day in DAYS:
        got = _release(out, day)
        # stated on the two imported dates only, as given (its SPDX id, lowercase)
        assert got["stated"] == ("odbl-1.0" if day in DAYS[:2] else None)
        assert "license: odbl\n" in got["front_matter"], day
        assert got["croissant"] == ODBL_URL
        assert got["manifest"] == {"spdx": "ODbL-1.0", "url": ODBL_URL}
        assert "license ODbL-1.0" in got["cite"]
        # the dates up to the release's own that state it
        when = (
            f"the snapshot of {DAYS[0]}"
            if day == DAYS[0]
            else f"2 snapshot dates, {DAYS[0]} to {DAYS[1]}"
        )
        assert f"stated for {when})" in got["card"], day
        assert "ODC-By" not in got["card"]


def test_a_permissive_source_is_credited_and_the_census_licence_kept(listings, tmp_path):
    out = tmp_path / "out"
    run = ["run", "--date", str(DAYS[0]), "--from-file", str(listings[DAYS[0]])]
    assert main([*run, "--out", str(out), "--source-license", "cc-by-4.0", "--no-progress"]) == 0
    got = _release(out, DAYS[0])
    assert got["stated"] == "cc-by-4.0"
    assert "license: odc-by\n" in got["front_matter"]
    assert got["croissant"] == ODC_BY_URL and got["manifest"]["spdx"] == "ODC-By-1.0"
    assert "Creative Commons Attribution 4.0 International (CC-BY-4.0): 1 date." in got["card"]


def test_an_unknown_licence_is_refused_before_anything_is_built(listings, tmp_path, capsys):
    out = tmp_path / "out"
    run = ["run", "--date", str(DAYS[0]), "--from-file", str(listings[DAYS[0]]), "--out", str(out)]
    assert main([*run, "--source-license", "gpl-3.0"]) == EXIT_USAGE
    assert "unknown source licence 'gpl-3.0'; one of odbl-1.0" in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(ValueError, match="unknown source licence"):
        stated_license("CC-BY-SA-4.0")


def test_the_share_alike_licence_wins_whatever_else_is_stated():
    assert release_license([None, "cc-by-4.0", "odbl-1.0", "apache-2.0"]).spdx == "ODbL-1.0"
    assert release_license([None, "cc0-1.0"]).spdx == "ODC-By-1.0"
    assert release_license([]).spdx == "ODC-By-1.0"


def test_a_late_share_alike_date_relicenses_the_releases_after_it(listings, tmp_path):
    """Installed on the two later dates (no licence stated: ODC-By), then the earlier date is
    imported as ODbL: the later days are built again and their releases replaced under ODbL,
    and the explorer cites the latest one so."""
    out = tmp_path / "out"
    for day in DAYS[1:]:
        run = ["run", "--date", str(day), "--from-file", str(listings[day]), "--out", str(out)]
        assert main([*run, "--no-progress"]) == EXIT_OK
        assert _release(out, day)["manifest"]["spdx"] == "ODC-By-1.0"
    late = ["run", "--date", str(DAYS[0]), "--from-file", str(listings[DAYS[0]])]
    assert main([*late, "--out", str(out), "--source-license", "odbl-1.0", "--no-progress"]) == 0
    for day in DAYS:
        got = _release(out, day)
        assert got["manifest"]["spdx"] == "ODbL-1.0", day
        assert f"stated for the snapshot of {DAYS[0]})" in got["card"], day
    for day in DAYS[1:]:
        # replaced, not only rewritten: the previous release is kept aside and named
        assert read_manifest(Layout(out).release(day))["replaces"] is not None
    assert main(["report", "--out", str(out)]) == EXIT_OK
    page = (out / "report" / "index.html").read_text(encoding="utf-8")
    cite = page[page.index('<pre id="bibtex">') :]
    assert "license ODbL-1.0" in cite[: cite.index("</pre>")]
