"""`hub-census backfill` over one simulated world exported in three eras (2022, 2024, 2026
shapes), checked against the simulator's truth for those eras, never against the pipeline's own
output:

- a verified release per date;
- a `snapshot_sources` row per date whose sha256 is the file's (computed here), whose
  `source_shape` is the record shape the era's listings have (../shared/research/
  hub_archive_shapes.md: a 2022 dump has `modelId` and no `id`/`_id`; the 2024 and 2026 API items
  have `_id`, which staging calls `api_2026` after the shape it reads) and whose
  `missing_fields` are the era's absent fields (`truth.era_truth`);
- `model_changes` counts per kind per date equal to `truth.era_changes`.

Where `era_changes` differs from the world's own changes, a documented era limit applies
(docs/HISTORY.md, "Across eras"); the test names it where it shows:

- LIMIT_NO_HUB_ID: a day without `_id` (2022) is matched by id, so a rename, or a model listed
  under another era's id (`bert-base-uncased` → `google-bert/bert-base-uncased`, a `.git` end, a
  name over 96 characters), is a `removed` plus an `added`, never `renamed`.
- LIMIT_ABSENT_FIELD: `license_changed`/`base_changed` need `cardData` on both days and
  `gated_changed` needs `gated`: a 2022 day has neither, so those changes are unknown, not zero.

The default suite runs one date per era; the slow variant runs 3 + 4 + 3 dates.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.cli import EXIT_FAILED, EXIT_GATED, EXIT_OK, main
from pipeline.history import as_of
from pipeline.paths import Layout
from pipeline.release.catalog import connect, query
from pipeline.release.manifest import read_manifest, verify_release
from pipeline.simulator.export import export_listing
from pipeline.simulator.truth import compute_truth, era_changes, era_truth
from pipeline.simulator.world import World, WorldConfig
from tests.history.conftest import BUSY_SIMULATOR_RATES

# The simulator's worlds start after the Hub's 2022-03-02 placeholder creation date.
START = date(2022, 3, 3)
KINDS = ("added", "removed", "renamed", "license_changed", "base_changed", "gated_changed")
# The record shape each era's listings have, as staging names it
# (sql/staging/create_stage_records.sql).
SHAPE = {"2022": "listing_2022", "2024": "api_2026", "2026": "api_2026"}
# Fields a single model may lack on its own (no GGUF file, no safetensors, no known library or
# task, `disabled` omitted when false): `snapshot_sources` leaves them out of `missing_fields`,
# since no record of a day carrying one does not show that the source lacked it.
PER_MODEL_FIELDS = {"gguf", "safetensors", "library_name", "pipeline_tag", "disabled"}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(sql: str, *params) -> list[tuple]:
    with duckdb.connect() as conn:
        return conn.execute(sql, list(params)).fetchall()


@pytest.fixture(
    scope="module",
    params=[
        pytest.param((200, ["2022", "2024", "2026"]), id="3dates"),
        pytest.param(
            (600, ["2022"] * 3 + ["2024"] * 4 + ["2026"] * 3), id="10dates", marks=pytest.mark.slow
        ),
    ],
)
def backfilled(request, tmp_path_factory):
    n_models, eras = request.param
    world = World(WorldConfig(seed=21, start_date=START, n_models=n_models, **BUSY_SIMULATOR_RATES))
    days = [START + timedelta(days=i) for i in range(len(eras))]
    base = tmp_path_factory.mktemp("eras")
    source = base / "archive"
    for day, era in zip(days, eras, strict=True):
        export_listing(world, day, source / f"{day}.jsonl.gz", era=era)
    out = base / "out"
    code = main(["backfill", str(source), "--out", str(out), "--no-progress"])
    return world, days, eras, source, Layout(out), code


def test_every_date_has_a_verified_release(backfilled):
    _, days, _, _, layout, code = backfilled
    assert code == EXIT_OK
    for day in days:
        assert read_manifest(layout.release(day))["snapshot_date"] == day.isoformat()
        assert verify_release(layout.release(day)) == []


def test_snapshot_sources_name_the_file_and_the_eras_shape(backfilled):
    world, days, eras, source, layout, _ = backfilled
    for day, era in zip(days, eras, strict=True):
        file = source / f"{day}.jsonl.gz"
        truth = era_truth(world, day, era)
        ((kind, name, sha, models, shape, missing),) = _rows(
            "select source_kind, source_name, source_sha256, models, source_shape, missing_fields "
            "from read_parquet(?)",
            str(layout.release(day) / "snapshot_sources.parquet"),
        )
        assert (kind, name, sha) == ("archive_import", file.name, _sha256(file)), day
        assert models == truth.models.height
        assert shape == SHAPE[era], (day, era)
        assert set(missing) == set(truth.absent_fields) - PER_MODEL_FIELDS, (day, era)


def test_model_changes_equal_the_eras_truth(backfilled):
    world, days, eras, _, layout, _ = backfilled
    for i in range(1, len(days)):
        prev, day = days[i - 1], days[i]
        expected = era_changes(world, prev, eras[i - 1], day, eras[i])
        changes = pl.read_parquet(layout.release(day) / "model_changes.parquet")
        got = Counter(changes["change"].to_list())
        want = Counter(expected["change"].to_list())
        assert {k: got[k] for k in KINDS} == {k: want[k] for k in KINDS}, (day, eras[i])
        assert set(got) <= set(KINDS)
        for kind in ("added", "removed"):
            assert sorted(changes.filter(pl.col("change") == kind)["model_id"]) == sorted(
                expected.filter(pl.col("change") == kind)["model_id"]
            ), (day, kind)

        world_changes = Counter(compute_truth(world, day).changes["change"].to_list())
        if "2022" in (eras[i - 1], eras[i]):
            # LIMIT_NO_HUB_ID: no `renamed` at all; every rename is a removed plus an added
            assert got["renamed"] == 0
            assert got["added"] >= world_changes["added"] + world_changes["renamed"]
            # LIMIT_ABSENT_FIELD: no cardData/gated on the 2022 side, nothing compared
            assert got["license_changed"] == got["base_changed"] == got["gated_changed"] == 0
        else:
            # two days with `_id`, `cardData` and `gated`: the world's own changes, no limit
            assert {k: got[k] for k in KINDS} == {k: world_changes[k] for k in KINDS}
        if eras[i - 1] == "2022" and eras[i] != "2022":
            # the boundary: legacy ids (bare, `.git`, long names) become new ids the same day
            legacy = era_truth(world, prev, "2022").legacy_ids
            assert legacy.height > 0
            assert got["added"] >= world_changes["added"] + legacy.height


def _parents_as_of(layout: Layout, day: date) -> tuple[int, int]:
    """(models, models whose parents are known) in the attribute history as of `day`."""
    rel = as_of(layout, day, duckdb.connect())
    ((models, known),) = rel.aggregate("count(*), count(base_models)").fetchall()
    return models, known


def test_parents_are_unknown_where_the_era_cannot_name_them(backfilled):
    """A 2022 listing has no `cardData` and no `base_model:` tags (the Hub had neither): its
    models' parents are unknown, not absent, so the day does not read as "no derivatives". Later
    eras name parents: the models declaring one are the truth's, and the models of the 2022 day
    that are gone count under the relation they had, `(unknown)`."""
    world, days, eras, _, layout, _ = backfilled
    for i, (day, era) in enumerate(zip(days, eras, strict=True)):
        release = layout.release(day)
        models = pl.read_parquet(release / "models.parquet")
        truth = compute_truth(world, day).models
        by_relation = dict(
            _rows(
                "select value, models from read_parquet(?) where dimension = 'relation'",
                str(release / "ecosystem_daily.parquet"),
            )
        )
        if era == "2022":
            assert truth.filter(pl.col("parents").list.len() > 0).height > 0  # the world has some
            nulls = ("base_models", "base_relation", "lineage_depth", "is_root", "family")
            # no record of the day can name a parent, so none can name a child either
            for column in (*nulls, "n_children", "n_descendants"):
                assert models[column].null_count() == models.height, (day, column)
            assert by_relation == {"(unknown)": models.height}, day
            timeline = _rows(
                "select distinct value from read_parquet(?) where dimension = 'relation'",
                str(layout.table_partition("creation_timeline", day)),
            )
            assert timeline == [("(unknown)",)], day
            card = (release / "README.md").read_text(encoding="utf-8")
            assert "| models declaring a base model | unknown (" in card
            assert "| families with descendants | unknown |" in card
            assert "| deepest lineage (edges to a root) | unknown |" in card
            assert "no family can be told" in card and "every model's parents are unknown" in card
            # the ecosystem as of that day says the same: unknown, not "no parents"
            assert _parents_as_of(layout, day) == (models.height, 0), day
            continue
        assert models["base_models"].null_count() == models["is_root"].null_count() == 0, day
        assert _parents_as_of(layout, day) == (models.height, models.height), day
        assert models["n_children"].null_count() == 0, day
        # the models naming another model by an id; the truth leaves out self-references and
        # junk such as a card's `base_model: {"id": null}`, which the census keeps as edges
        declaring = {
            child
            for (child,) in _rows(
                "select distinct child_id from read_parquet(?) where parent_status <> 'self_loop' "
                "and not list_contains(coalesce(ref_fixes, []), 'not_an_id')",
                str(release / "lineage_edges.parquet"),
            )
        }
        assert declaring == set(truth.filter(pl.col("parents").list.len() > 0)["model_id"]), day
        assert by_relation.get("(unknown)", 0) == 0, day
        if eras[i - 1] == "2022":
            ((removed,),) = _rows(
                "select removed from read_parquet(?) "
                "where dimension = 'relation' and value = '(unknown)'",
                str(release / "ecosystem_daily.parquet"),
            )
            changes = pl.read_parquet(release / "model_changes.parquet")
            assert removed == changes.filter(pl.col("change") == "removed").height > 0, day


def test_folded_counters_are_a_view_of_the_catalog(backfilled, tmp_path, capsys):
    _, days, _, _, layout, _ = backfilled
    counters = tmp_path / "counters.csv"
    counters.write_text(
        "model_id,date,downloads_all_time\n"
        "org/a,2023-01-01,100\norg/a,2023-01-15,160\norg/a,2023-01-31,250\n"
    )
    capsys.readouterr()
    args = ["backfill", "--counters", str(counters), "--out", str(layout.root)]
    assert main(args) == EXIT_OK
    printed = capsys.readouterr().out
    # only counters were folded: no line about dates that were never in question
    assert "3 observations of 1 models, 28 gap days marked" in printed
    assert "date(s) built" not in printed
    with connect(layout.root) as conn:
        # downloads over January: the all-time counter's rise, 250 - 100
        window = conn.execute(
            "select sum(downloads_all_time_delta) from counter_series "
            "where date > '2023-01-01' and date <= '2023-01-31'"
        ).fetchone()
        assert window == (150,)
        # the other views still read the latest release
        (latest,) = conn.execute("select max(snapshot_date) from snapshot_sources").fetchone()
        assert latest == days[-1]


def test_backfilling_an_earlier_date_rebuilds_the_date_after_it(tmp_path):
    """An archive found later than the dates already built: the date after it was compared with
    nothing (a baseline); once the earlier date is built, its history is rebuilt against it and
    republished (docs/HISTORY.md, "Runs side by side"), and dates further on are untouched."""
    world = World(WorldConfig(seed=8, start_date=START, n_models=150, **BUSY_SIMULATOR_RATES))
    days = [START + timedelta(days=i) for i in range(3)]
    source = tmp_path / "archive"
    for day in days:
        export_listing(world, day, source / f"{day}.jsonl.gz", era="2026")
    layout = Layout(tmp_path / "out")
    cli = ["backfill", str(source), "--out", str(layout.root), "--no-progress"]
    assert main([*cli, "--from", str(days[1])]) == EXIT_OK
    first = {d: read_manifest(layout.release(d))["release_id"] for d in days[1:]}
    before = pl.read_parquet(layout.release(days[1]) / "model_changes.parquet")

    assert main(cli) == EXIT_OK
    changes = pl.read_parquet(layout.release(days[1]) / "model_changes.parquet")
    want = Counter(compute_truth(world, days[1]).changes["change"].to_list())
    assert sum(want.values()) > 0
    # built as a baseline first, the date could not hold the changes since the date before it
    assert Counter(before["change"].to_list()) != want
    assert {k: Counter(changes["change"].to_list())[k] for k in KINDS} == {
        k: want[k] for k in KINDS
    }
    manifest = read_manifest(layout.release(days[1]))
    assert manifest["release_id"] != first[days[1]] and manifest["replaces"]
    assert manifest["previous_release"]["snapshot_date"] == str(days[0])
    assert verify_release(layout.release(days[1])) == []
    ((previous,),) = _rows(
        "select distinct previous_snapshot_date from read_parquet(?)",
        str(layout.release(days[1]) / "ecosystem_daily.parquet"),
    )
    assert previous == days[0]
    assert read_manifest(layout.release(days[2]))["release_id"] == first[days[2]]


def test_a_failed_date_stops_the_backfill_with_runs_exit_code(tmp_path, capsys):
    """The middle file holds a slice of the Hub said to be all of it: the release gate stops
    that date (exit 3, as `run`), and the date after it is not built, since it would be
    compared with the wrong snapshot. Removing the bad file, the backfill resumes."""
    world = World(WorldConfig(seed=9, start_date=START, n_models=150))
    days = [START + timedelta(days=i) for i in range(3)]
    source = tmp_path / "archive"
    for day in days:
        export_listing(world, day, source / f"{day}.jsonl", era="2024")
    bad = source / f"{days[1]}.jsonl"
    bad.write_text("".join(bad.read_text().splitlines(keepends=True)[:20]))
    layout = Layout(tmp_path / "out")
    cli = ["backfill", str(source), "--out", str(layout.root), "--no-progress"]
    assert main(cli) == EXIT_GATED
    assert f"backfill stopped at {days[1]}" in capsys.readouterr().out
    assert read_manifest(layout.release(days[0])) is not None
    assert not layout.release(days[1]).exists() and not layout.release(days[2]).exists()
    # the runs leave the catalog to the backfill, which rebuilds it when it stops too
    listed = query("select snapshot_date, is_latest from releases", layout.root).to_pylist()
    assert listed == [{"snapshot_date": days[0], "is_latest": True}]

    bad.unlink()
    assert main(cli) == EXIT_OK
    assert "1 date(s) built, 1 skipped" in capsys.readouterr().out
    assert verify_release(layout.release(days[2])) == []


def test_a_catalog_that_cannot_be_rebuilt_fails_the_backfill_after_its_releases(
    tmp_path, capsys, monkeypatch
):
    """The runs leave the catalog to the backfill: when its one rebuild fails, the dates stay
    released and the command exits 1, saying so; the next backfill, with nothing left to build,
    rebuilds it."""
    world = World(WorldConfig(seed=4, start_date=START, n_models=100))
    source = tmp_path / "archive"
    export_listing(world, START, source / f"{START}.jsonl", era="2024")
    layout = Layout(tmp_path / "out")

    def broken(*args, **kwargs):
        raise duckdb.IOException("IO Error: no space left on device")

    monkeypatch.setattr("pipeline.release.catalog.refresh_catalog", broken)
    cli = ["backfill", str(source), "--out", str(layout.root), "--no-progress"]
    assert main(cli) == EXIT_FAILED
    said = capsys.readouterr().out
    assert "the releases are published, but catalog.duckdb could not be rebuilt" in said
    assert "no space left on device" in said
    assert verify_release(layout.release(START)) == []
    assert not layout.catalog().exists()

    monkeypatch.undo()
    assert main(cli) == EXIT_OK
    assert "0 date(s) built, 1 skipped" in capsys.readouterr().out
    listed = query("select snapshot_date, is_latest from releases", layout.root).to_pylist()
    assert listed == [{"snapshot_date": START, "is_latest": True}]
