"""`hub-census backfill --coverage subset` over the real family-tree scrapes in
../shared/hubdata/trees (skipped when absent), as a researcher holding them would run it.

The folder is what such scrapes look like: one file per root and scrape, several roots (and the
same root twice) scraped on one day, and trees of very different sizes on consecutive dates.
Checked against the files themselves, read here with `json`: the ids a date's files list, how
many records repeat an id, their bytes' sha256.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import EXIT_OK, EXIT_USAGE, main
from pipeline.paths import Layout

TREES = Path(__file__).resolve().parents[1] / ".." / "shared" / "hubdata" / "trees"
# nine files of seven roots, Kokoro-82M, OrangeMixs and stable-diffusion-3-medium twice each
MANY_FILES_DAY = date(2025, 4, 22)
# a 68-model day followed by a 19-model one: another tree, not a shrinking Hub
BIG_DAY, SMALL_DAY = date(2025, 4, 7), date(2025, 4, 11)
# two roots' trees scraped the same night
TWO_FILES_DAY = date(2025, 4, 23)


@pytest.fixture(scope="module")
def trees() -> Path:
    if not TREES.is_dir():
        pytest.skip("../shared/hubdata/trees is absent")
    return TREES


def _files(trees: Path, day: date) -> list[Path]:
    return sorted(trees.glob(f"*_{day:%Y%m%d}_*.jsonl"))


def _rows(sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect() as conn:
        return conn.execute(sql, params).fetchall()


def test_a_days_tree_files_are_refused_unless_combined(trees, tmp_path, capsys):
    args = ["backfill", str(trees), "--coverage", "subset", "--out", str(tmp_path / "out")]
    assert main(args) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "two files for 2025-04-07" in err and "--combine" in err
    assert not (tmp_path / "out" / "releases").exists()


def test_the_files_of_one_day_are_that_days_snapshot(trees, tmp_path, capsys):
    files = _files(trees, MANY_FILES_DAY)
    assert len(files) == 9
    records = [json.loads(line) for f in files for line in f.read_text().splitlines() if line]
    ids = {r["id"] for r in records}
    out = tmp_path / "out"
    day = str(MANY_FILES_DAY)
    args = ["backfill", str(trees), "--combine", "--coverage", "subset", "--from", day]
    assert main([*args, "--to", day, "--out", str(out), "--no-progress"]) == EXIT_OK
    # the folder's one file without a date in its name is named, not passed over
    undated = [p.name for p in trees.glob("*.jsonl") if not re.search(r"\d{8}", p.name)]
    assert undated and f"no date in the name (see --pattern): {', '.join(undated)}" in (
        capsys.readouterr().err
    )
    release = Layout(out).release(MANY_FILES_DAY)
    models = {
        r[0]
        for r in _rows("select model_id from read_parquet(?)", [str(release / "models.parquet")])
    }
    assert models == ids
    # a model in two scrapes is listed twice: kept once, the other record in the quarantine
    reasons = _rows(
        "select reason, count(*) from read_parquet(?) group by all",
        [str(release / "quarantine.parquet")],
    )
    assert len(records) - len(ids) == 21
    assert dict(reasons) == {"duplicate_hub_id": len(records) - len(ids)}
    ((name, sha256, source_records, coverage),) = _rows(
        "select source_name, source_sha256, source_records, coverage from read_parquet(?)",
        [str(release / "snapshot_sources.parquet")],
    )
    assert name == ", ".join(f.name for f in files)
    assert sha256 == hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    assert (source_records, coverage) == (len(records), "subset")
    card = (release / "README.md").read_text()
    assert sha256 in card and files[0].name in card
    # what each file carries is its own: whether any of its records has a card, and whether
    # any names a parent in its tags (read here from the files with json)
    carried: dict[str, set[tuple[bool, bool]]] = {}
    for f in files:
        items = [json.loads(line) for line in f.read_text().splitlines() if line]
        facts = (
            any(isinstance(i.get("cardData"), dict) for i in items),
            any(t.startswith("base_model:") for i in items for t in i.get("tags") or []),
        )
        for item in items:
            carried.setdefault(item["id"], set()).add(facts)
    listed_in = {
        f.name: {json.loads(line)["id"] for line in f.read_text().splitlines() if line}
        for f in files
    }
    staged = _rows(
        "select model_id, source_recording, source_has_cards, source_names_parents "
        "from read_parquet(?)",
        [str(Layout(out).table_partition("models_staged", MANY_FILES_DAY))],
    )
    assert {(has, names) for _, _, has, names in staged} == {(True, True), (True, False)}
    assert all((has, names) in carried[model] for model, _, has, names in staged)
    # each kept record names the file it was read from, one that lists it
    assert all(model in listed_in[name] for model, name, _, _ in staged)


def test_a_smaller_tree_the_next_date_is_not_a_fall_of_the_hub(trees, tmp_path):
    out = tmp_path / "out"
    args = ["backfill", str(trees), "--combine", "--coverage", "subset", "--no-progress"]
    assert (
        main([*args, "--from", str(BIG_DAY), "--to", str(SMALL_DAY), "--out", str(out)]) == EXIT_OK
    )
    layout = Layout(out)
    sizes = {}
    for day in (BIG_DAY, SMALL_DAY):
        records = [line for f in _files(trees, day) for line in f.read_text().splitlines() if line]
        sizes[day] = len({json.loads(line)["id"] for line in records})
    assert sizes == {BIG_DAY: 68, SMALL_DAY: 19}
    daily = _rows(
        "select snapshot_date, models, comparable_to_previous from read_parquet(?) "
        "where dimension = 'all' order by 1",
        [[str(layout.table_partition("ecosystem_daily", d)) for d in (BIG_DAY, SMALL_DAY)]],
    )
    # two subsets are not read as one Hub changing: the later day is not comparable
    assert daily == [(BIG_DAY, 68, None), (SMALL_DAY, 19, False)]
    assert (layout.release(SMALL_DAY) / "manifest.json").is_file()


def test_one_tree_named_as_a_subset_is_compared_week_on_week(trees, tmp_path, capsys):
    """The DeepHermes-3-Mistral-24B-Preview tree scraped on 2025-03-25 and again on 2025-04-04:
    named as one subset, the second date is read as a change of the first."""
    first, second = date(2025, 3, 25), date(2025, 4, 4)
    out = tmp_path / "out"
    args = ["backfill", str(trees), "--subset", "DeepHermes-3 tree", "--no-progress"]
    assert main([*args, "--from", str(first), "--to", str(second), "--out", str(out)]) == EXIT_OK
    layout = Layout(out)
    ids = {
        day: {
            json.loads(line)["id"]
            for f in _files(trees, day)
            for line in f.read_text().splitlines()
            if line
        }
        for day in (first, second)
    }
    daily = _rows(
        "select snapshot_date, models, new, removed, comparable_to_previous, coverage "
        "from read_parquet(?) where dimension = 'all' order by 1",
        [[str(layout.table_partition("ecosystem_daily", d)) for d in (first, second)]],
    )
    assert daily == [
        (first, len(ids[first]), 0, 0, None, "subset"),
        (
            second,
            len(ids[second]),
            len(ids[second] - ids[first]),
            len(ids[first] - ids[second]),
            True,
            "subset",
        ),
    ]
    names = _rows(
        "select subset_name from read_parquet(?)",
        [str(layout.release(second) / "snapshot_sources.parquet")],
    )
    assert names == [("DeepHermes-3 tree",)]
    card = (layout.release(second) / "README.md").read_text()
    assert "**Subset `DeepHermes-3 tree`, not the whole Hub.**" in card
    # a name that cannot be published as given is one usage error, before anything is built
    bad = ["backfill", str(trees), "--subset", " x", "--out", str(tmp_path / "bad")]
    capsys.readouterr()
    assert main(bad) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("error: subset name ' x'") and err.count("\n") == 1
    assert not (tmp_path / "bad").exists()


def test_a_combined_date_reports_what_each_file_carries(trees, tmp_path, monkeypatch):
    """On a real Dagster instance: the `models_staged` materialization of a combined date lists
    its files, each with its staged models and whether it carries cards and parents in its tags.
    Truth: the files read with json (the date's two files share no model)."""
    import dagster as dg

    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    day = str(TWO_FILES_DAY)
    args = ["backfill", str(trees), "--combine", "--coverage", "subset", "--from", day]
    assert main([*args, "--to", day, "--out", str(tmp_path / "out"), "--no-progress"]) == EXIT_OK
    expected, seen = [], set()
    for f in _files(trees, TWO_FILES_DAY):
        items = [json.loads(line) for line in f.read_text().splitlines() if line]
        ids = {i["id"] for i in items}
        assert not ids & seen
        expected.append(
            {
                "recording": f.name,
                "models": len(ids),
                "cards": any(isinstance(i.get("cardData"), dict) for i in items),
                "parents_in_tags": any(
                    t.startswith("base_model:") for i in items for t in i.get("tags") or []
                ),
            }
        )
        seen |= ids
    assert len(expected) == 2
    instance = dg.DagsterInstance.from_config(str(home))
    (record,) = instance.fetch_materializations(dg.AssetKey("models_staged"), limit=5).records
    assert record.asset_materialization.metadata["recordings"].value == expected
    # the release names the file whose tags name no parent, beside one whose tags do
    release = Layout(tmp_path / "out").release(TWO_FILES_DAY)
    lacking = [r["recording"] for r in expected if not r["parents_in_tags"]]
    assert len(lacking) == 1
    ((without_cards, without_parent_tags),) = _rows(
        "select recordings_without_cards, recordings_without_parent_tags from read_parquet(?)",
        [str(release / "snapshot_sources.parquet")],
    )
    assert without_cards == [r["recording"] for r in expected if not r["cards"]]
    assert without_parent_tags == lacking
    card = (release / "README.md").read_text()
    named = re.search(r"Files that name no parent in their tags .*?: `([^`]*)`\.", card)
    assert named and named.group(1) == lacking[0]
    assert "Files that carry no model card" not in card
