"""`hub-census backfill` over a folder of simulated daily exports, and coverage marking.

Each export is a real simulated Hub listing of one day; every date goes through the real Dagster
job, and what was imported is checked against independent truth: the simulator's models, the
files' own sha256 computed here, and the lines each file holds.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from pipeline.backfill import DatedFile, date_of, discover, select
from pipeline.cli import EXIT_GATED, EXIT_OK, EXIT_USAGE, main
from pipeline.paths import Layout
from pipeline.release.manifest import read_manifest
from pipeline.simulator.export import export_listing
from pipeline.simulator.truth import compute_truth
from pipeline.simulator.world import World, WorldConfig

# The simulator's worlds start after the Hub's 2022-03-02 placeholder creation date.
START = date(2022, 3, 3)
DATES = [START + timedelta(days=i) for i in range(4)]
SUBSET_DAY = START + timedelta(days=4)


@pytest.fixture(scope="module")
def world() -> World:
    return World(WorldConfig(seed=11, start_date=START, n_models=300))


@pytest.fixture(scope="module")
def archive(world, tmp_path_factory):
    """Four daily exports in a folder, one of them zstd (and a file that is not one); returns
    (source, out)."""
    base = tmp_path_factory.mktemp("archive")
    source = base / "listings"
    source.mkdir()
    for day in DATES:
        export_listing(world, day, _listing(source, day))
    (source / "README.txt").write_text("not a listing")
    return source, base / "out"


def _listing(source: Path, day: date) -> Path:
    # archives mix compressions: the third date is a .zst
    return source / f"{day}.jsonl.{'zst' if day == DATES[2] else 'gz'}"


def _text(file: Path) -> bytes:
    if file.suffix == ".zst":
        with pa.CompressedInputStream(pa.OSFile(str(file)), "zstd") as f:
            return f.read()
    return gzip.decompress(file.read_bytes())


def _rows(sql: str, *params) -> list[tuple]:
    with duckdb.connect() as conn:
        return conn.execute(sql, list(params)).fetchall()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def backfilled(archive):
    source, out = archive
    code = main(["backfill", str(source), "--out", str(out), "--no-progress"])
    return source, out, code


def test_a_file_that_is_no_listing_is_named_not_passed_over(archive, tmp_path, capsys):
    source, _ = archive
    folder = tmp_path / "archive"
    (folder / "2022-01-02").mkdir(parents=True)
    shutil.copy(_listing(source, DATES[0]), folder)
    (folder / "2022-01-01.csv").write_text("id\n")
    (folder / "2022-01-02" / "models.csv").write_text("id\n")
    (folder / ".DS_Store").write_bytes(b"")
    # bounded before every date: nothing is built, what was seen is said
    args = ["backfill", str(folder), "--to", "2020-01-01", "--out", str(tmp_path / "out")]
    assert main(args) == EXIT_OK
    err = capsys.readouterr().err
    assert err == (
        "not imported, not JSON Lines, a .json document or Parquet: 2022-01-01.csv, "
        "2022-01-02/models.csv\n"
    )


def test_backfill_builds_every_date_in_order_with_its_provenance(world, backfilled):
    source, out, code = backfilled
    assert code == EXIT_OK
    layout = Layout(out)
    for n, day in enumerate(DATES):
        manifest = read_manifest(layout.release(day))
        assert manifest is not None and manifest["snapshot_date"] == day.isoformat()
        file = _listing(source, day)
        lines = [line for line in _text(file).splitlines() if line]
        (row,) = _rows(
            "select source_kind, source_name, source_sha256, source_records, models, coverage "
            "from read_parquet(?)",
            str(layout.release(day) / "snapshot_sources.parquet"),
        )
        truth = set(compute_truth(world, day).models["model_id"])
        assert row == (
            "archive_import",
            file.name,
            _sha256(file),
            len(lines),
            len(truth),
            "full_hub",
        )
        models = {
            r[0]
            for r in _rows(
                "select model_id from read_parquet(?)", str(layout.release(day) / "models.parquet")
            )
        }
        assert models == truth
        # history compared each date with the one imported before it
        previous = _rows(
            "select distinct previous_snapshot_date from read_parquet(?)",
            str(layout.table_partition("ecosystem_daily", day)),
        )
        assert previous == [(DATES[n - 1] if n else None,)]


def test_a_second_backfill_skips_everything_and_a_deleted_release_is_rebuilt(backfilled, capsys):
    source, out, _ = backfilled
    layout = Layout(out)
    ids = {day: read_manifest(layout.release(day))["release_id"] for day in DATES}
    capsys.readouterr()
    assert main(["backfill", str(source), "--out", str(out), "--no-progress"]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "0 date(s) built, 4 skipped" in printed
    assert {day: read_manifest(layout.release(day))["release_id"] for day in DATES} == ids

    shutil.rmtree(layout.release(DATES[2]))
    assert main(["backfill", str(source), "--out", str(out), "--no-progress"]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "1 date(s) built, 3 skipped" in printed and f"{DATES[2]}: built" in printed
    # rebuilt from the same file: the same bytes, so the same release id
    assert read_manifest(layout.release(DATES[2]))["release_id"] == ids[DATES[2]]


def test_a_subset_day_is_marked_not_shown_as_the_hub_shrinking(world, backfilled, tmp_path):
    _, out, _ = backfilled
    layout = Layout(out)
    full = tmp_path / "full.jsonl.gz"
    export_listing(world, SUBSET_DAY, full)
    # one family-tree-sized slice of the day's listing
    items = [json.loads(line) for line in gzip.decompress(full.read_bytes()).splitlines() if line]
    subset = tmp_path / "tree.jsonl"
    subset.write_text("".join(json.dumps(item) + "\n" for item in items[:40]))
    run = ["run", "--date", str(SUBSET_DAY), "--from-file", str(subset), "--out", str(out)]
    # said to be the whole Hub, the slice is a broken crawl and the gate stops it
    assert main(run) == EXIT_GATED
    assert not layout.release(SUBSET_DAY).exists()
    assert main([*run, "--coverage", "subset"]) == EXIT_OK

    daily = {
        row[0]: row[1:]
        for row in _rows(
            "select snapshot_date, models, coverage, comparable_to_previous "
            "from read_parquet(?, union_by_name = true) where dimension = 'all'",
            [str(layout.table_partition("ecosystem_daily", d)) for d in [*DATES, SUBSET_DAY]],
        )
    }
    assert daily[SUBSET_DAY] == (40, "subset", False)
    assert daily[DATES[1]][1:] == ("full_hub", True)
    (sources,) = _rows(
        "select source_kind, source_name, coverage from read_parquet(?)",
        str(layout.release(SUBSET_DAY) / "snapshot_sources.parquet"),
    )
    assert sources == ("recorded_replay", "tree.jsonl", "subset")
    card = (layout.release(SUBSET_DAY) / "README.md").read_text()
    assert "**Subset, not the whole Hub.**" in card
    assert "| public models in this subset (not the whole Hub) | 40 |" in card
    assert "Subset" not in (layout.release(DATES[-1]) / "README.md").read_text()

    assert main(["report", "--out", str(out)]) == EXIT_OK
    page = (out / "report" / "index.html").read_text()
    assert f"{SUBSET_DAY} †" in page and "subset, not the whole Hub" in page
    assert f"{DATES[-1]} †" not in page


def test_date_of_reads_names_and_patterns():
    assert date_of("2022-02-21.jsonl.gz", None) == date(2022, 2, 21)
    assert date_of("models-20220221.parquet", None) == date(2022, 2, 21)
    assert date_of("models-20220221.parquet", "models-%Y%m%d.parquet") == date(2022, 2, 21)
    assert date_of("dump_21.02.2022.jsonl", r"dump_(?P<date>\d{2}\.\d{2}\.\d{4})") is None
    assert date_of("snap-2022_02_21-v2.jsonl", r"snap-(?P<date>[\d_]+)-") == date(2022, 2, 21)
    assert date_of("notes.jsonl", None) is None
    assert date_of("2022-02-30.jsonl", None) is None


def test_every_week_keeps_dates_at_least_seven_days_apart_within_bounds():
    files = [DatedFile(date(2022, 1, 1) + timedelta(days=i), (Path(f"{i}"),)) for i in range(30)]
    weekly = [f.day.day for f in select(files, every="week", start=None, end=None)]
    assert weekly == [1, 8, 15, 22, 29]
    # an archive with holes: the next kept date is the first one 7 or more days on
    holey = [f for f in files if f.day.day not in (8, 9, 16)]
    assert [f.day.day for f in select(holey, every="week", start=None, end=None)] == [1, 10, 17, 24]
    bounded = select(files, every="day", start=date(2022, 1, 5), end=date(2022, 1, 7))
    assert [f.day.day for f in bounded] == [5, 6, 7]


def test_discover_refuses_what_it_cannot_date(tmp_path, capsys):
    (tmp_path / "a.jsonl").write_text("{}\n")
    assert main(["backfill", str(tmp_path), "--out", str(tmp_path / "o")]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no dated listing" in err
    (tmp_path / "2022-01-01.jsonl").write_text("{}\n")
    (tmp_path / "20220101.jsonl.gz").write_bytes(gzip.compress(b"{}\n"))
    assert main(["backfill", str(tmp_path), "--out", str(tmp_path / "o")]) == EXIT_USAGE
    assert "two files for 2022-01-01" in capsys.readouterr().err
    assert [f.day for f in discover(tmp_path / "2022-01-01.jsonl", None)] == [date(2022, 1, 1)]
    (tmp_path / "20220101.jsonl.gz").unlink()
    (tmp_path / "2019-12-31.jsonl").write_text("{}\n")
    code = main(["backfill", str(tmp_path), "--to", "2019-12-31", "--out", str(tmp_path / "o")])
    assert code == EXIT_USAGE
    assert "outside the snapshot dates" in capsys.readouterr().err


def test_a_weekly_mirror_dates_each_dump_by_its_folder(world, tmp_path, capsys):
    """hfmlsoc/hub_weekly_snapshots keeps `models/<YYYY-MM-DD>/models.parquet`
    (../shared/research/hub_ecosystem_anchors.md, A1b): every file has the same name, and the
    date is its folder's. Each is imported under its folder's date and named with it."""
    mirror = tmp_path / "models"
    days = [DATES[0], DATES[0] + timedelta(days=7)]
    ids = {}
    for day in days:
        listing = tmp_path / f"{day}.jsonl.gz"
        export_listing(world, day, listing)
        folder = mirror / day.isoformat()
        folder.mkdir(parents=True)
        with duckdb.connect() as conn:
            rows = conn.read_json(str(listing), format="newline_delimited")
            rows.write_parquet(str(folder / "models.parquet"))
        ids[day] = set(compute_truth(world, day).models["model_id"])
    (mirror / "notes").mkdir()
    (mirror / "notes" / "models.parquet").write_bytes(
        (mirror / str(days[0]) / "models.parquet").read_bytes()
    )
    # a week whose upstream did not change: the mirror copies the same file under a new date
    stale = days[1] + timedelta(days=7)
    (mirror / str(stale)).mkdir()
    shutil.copyfile(
        mirror / str(days[1]) / "models.parquet", mirror / str(stale) / "models.parquet"
    )

    out = tmp_path / "out"
    assert main(["backfill", str(mirror), "--out", str(out), "--no-progress"]) == EXIT_OK
    captured = capsys.readouterr()
    # the copy in a folder without a date is named, not imported
    assert "no date in the name (see --pattern): notes/models.parquet" in captured.err
    layout = Layout(out)
    # the stale copy is built, said to be one, and not read as a week without change
    assert f"the same file, byte for byte, as {days[1]}'s (a stale copy?)" in captured.out
    assert captured.out.count("byte for byte") == 1
    daily = _rows(
        "select snapshot_date, new, removed, comparable_to_previous from read_parquet(?) "
        "where dimension = 'all' order by 1",
        [str(layout.table_partition("ecosystem_daily", d)) for d in [*days, stale]],
    )
    assert [(d, c) for d, _, _, c in daily] == [(days[0], None), (days[1], True), (stale, False)]
    assert daily[2][1:3] == (0, 0)
    for day in days:
        release = layout.release(day)
        (row,) = _rows(
            "select source_name, source_sha256, models from read_parquet(?)",
            str(release / "snapshot_sources.parquet"),
        )
        file = mirror / day.isoformat() / "models.parquet"
        assert row == (f"{day}/models.parquet", _sha256(file), len(ids[day]))
        models = {
            r[0]
            for r in _rows("select model_id from read_parquet(?)", str(release / "models.parquet"))
        }
        assert models == ids[day]
    assert sorted(p.name for p in (out / "releases").iterdir() if p.name[0].isdigit()) == [
        str(d) for d in [*days, stale]
    ]


def test_saved_api_responses_of_2022_import_as_listings(world, tmp_path):
    """The oldest archives are saved `/api/models?full=true` answers: one JSON array a day, in
    the 2022 shape (`modelId`, no `_id`). Each date holds exactly the array's models."""
    archive = tmp_path / "archive"
    archive.mkdir()
    ids = {}
    for day in DATES[:2]:
        lines = tmp_path / f"{day}.jsonl"
        export_listing(world, day, lines, era="2022")
        items = [json.loads(line) for line in lines.read_text().splitlines() if line]
        (archive / f"models-{day}.json").write_text(json.dumps(items, indent=1))
        ids[day] = {item["modelId"] for item in items}
    out = tmp_path / "out"
    assert main(["backfill", str(archive), "--out", str(out), "--no-progress"]) == EXIT_OK
    layout = Layout(out)
    for day in DATES[:2]:
        release = layout.release(day)
        models = {
            r[0]
            for r in _rows("select model_id from read_parquet(?)", str(release / "models.parquet"))
        }
        assert models == ids[day] and len(models) > 100
        (row,) = _rows(
            "select source_name, source_sha256, source_shape from read_parquet(?)",
            str(release / "snapshot_sources.parquet"),
        )
        file = archive / f"models-{day}.json"
        assert row == (file.name, _sha256(file), "listing_2022")


def test_replace_builds_released_dates_again(world, tmp_path):
    """Dates already released are skipped, even when what the operator states about them, or a
    file of the archive, has changed; `--replace` reads the files again, builds the dates in
    order and replaces each release, the old one kept aside and named. Truth: the manifests of
    the first backfill, read before, and the corrected file's own lines and sha256."""
    source = tmp_path / "listings"
    source.mkdir()
    for day in DATES[:2]:
        export_listing(world, day, source / f"{day}.jsonl.gz")
    out = tmp_path / "out"
    args = ["backfill", str(source), "--out", str(out), "--no-progress"]
    assert main(args) == EXIT_OK
    layout = Layout(out)
    first = {day: read_manifest(layout.release(day)) for day in DATES[:2]}
    stated = [*args, "--source-license", "odbl-1.0"]
    assert main(stated) == EXIT_OK
    assert {day: read_manifest(layout.release(day)) for day in DATES[:2]} == first
    assert main([*stated, "--replace"]) == EXIT_OK
    for day in DATES[:2]:
        now = read_manifest(layout.release(day))
        assert now["release_id"] != first[day]["release_id"]
        assert now["replaces"]["release_id"] == first[day]["release_id"]
        aside = layout.releases() / now["replaces"]["moved_to"]
        assert read_manifest(aside) == first[day]
        ((licence,),) = _rows(
            "select source_license from read_parquet(?)",
            str(layout.release(day) / "snapshot_sources.parquet"),
        )
        assert licence == "odbl-1.0"
    # a corrected archive: the second date's file loses one line
    corrected = source / f"{DATES[1]}.jsonl.gz"
    lines = gzip.decompress(corrected.read_bytes()).splitlines(keepends=True)
    corrected.write_bytes(gzip.compress(b"".join(lines[1:])))
    assert main(stated) == EXIT_OK  # released: skipped
    assert main([*stated, "--replace"]) == EXIT_OK
    ((sha256, models),) = _rows(
        "select source_sha256, models from read_parquet(?)",
        str(layout.release(DATES[1]) / "snapshot_sources.parquet"),
    )
    assert (sha256, models) == (_sha256(corrected), len(lines) - 1)
