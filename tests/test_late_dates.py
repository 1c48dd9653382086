"""An earlier date built after later ones: the later days end as if the dates had run in order.

A later day reads the days before it (lineage the previous day's aliases, history the previous
`models`, derivatives the models of D-7 and D-30, datasets their history). When an earlier date
arrives late (an archive imported into a root that already has days), every built day after it is
built again in order and republished. The truth here is the same dates built in order, compared
table by table as rows, and a rename the test itself arranges.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.cli import EXIT_FAILED, EXIT_OK, main
from pipeline.daily import (
    RebuildIntegrityError,
    build_day,
    rebuild_steps,
    rebuilt_tables,
    refresh_stale_days,
    stale_days,
)
from pipeline.datasets import build_datasets
from pipeline.derivatives import build_derivatives
from pipeline.history import build_history
from pipeline.history.build import stale_history_dates
from pipeline.licenses.build import build_model_licenses
from pipeline.lineage.build import build_lineage
from pipeline.models import build_models
from pipeline.paths import Layout
from pipeline.provenance import SourceInfo, build_snapshot_sources
from pipeline.registry import load_registry
from pipeline.release.catalog import query
from pipeline.release.manifest import read_manifest
from pipeline.simulator.export import export_listing
from pipeline.simulator.world import World, WorldConfig
from pipeline.staging import stage_models
from tests.lineage.conftest import write_raw_snapshot

D1, D2, D3, D4 = date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 9), date(2025, 5, 10)
REPO_X = f"{1:024x}"


def _item(model_id: str, hub_id: str, base: str | None = None, downloads: int = 10) -> dict:
    return {
        "_id": hub_id,
        "id": model_id,
        "createdAt": "2024-01-02T00:00:00.000Z",
        "downloads": downloads,
        "tags": ["transformers"],
        "cardData": {"base_model": base} if base else {},
        "siblings": [{"rfilename": "model.safetensors"}],
    }


def _listing(day: date) -> list[dict]:
    """Repo X is `a/one` on D1, `a/two` on D2 and `a/three` from D3; from D3 a child's card
    names `a/two`, which only D2's snapshot can resolve (D4 through D3's aliases). Downloads grow
    by day, so the 7-day window of D3 (D3 - 7 = D2) differs with and without D2."""
    grow = (day - D1).days
    pad = [
        _item(f"p/m{i}", f"{100 + i:024x}", base="a/one" if i < 5 else None, downloads=grow + i)
        for i in range(30)
    ]
    name = {D1: "a/one", D2: "a/two"}.get(day, "a/three")
    items = [_item(name, REPO_X, downloads=100 + grow), *pad]
    if day >= D3:
        items.append(_item("u/child", f"{2:024x}", base="a/two"))
    return items


def _build(root: Path, order: list[date], *, refresh: bool) -> Layout:
    layout = Layout(root)
    with duckdb.connect() as conn:
        for day in order:
            write_raw_snapshot(layout, day, _listing(day))
            build_day(layout, day, conn)
        if refresh:
            refresh_stale_days(layout, conn, pipeline_version="test", source_commit=None)
    return layout


def _differences(a: Path, b: Path) -> int:
    """Rows in one file and not the other, both ways, as multisets."""
    with duckdb.connect() as conn:
        sql = (
            "select count(*) from "
            "(select * from read_parquet(?) except all select * from read_parquet(?))"
        )
        return sum(conn.execute(sql, [str(x), str(y)]).fetchone()[0] for x, y in ((a, b), (b, a)))


def _child_edge(layout: Layout, day: date) -> tuple:
    with duckdb.connect() as conn:
        return conn.execute(
            "select parent_ref, parent_id, parent_status from read_parquet(?) "
            "where child_id = 'u/child'",
            [str(layout.table_partition("lineage_edges", day))],
        ).fetchone()


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Layout]:
    base = tmp_path_factory.mktemp("late")
    return {
        "in_order": _build(base / "in_order", [D1, D2, D3, D4], refresh=False),
        "late": _build(base / "late", [D1, D3, D4, D2], refresh=False),
        "late_refreshed": _build(base / "late_refreshed", [D1, D3, D4, D2], refresh=True),
    }


def test_the_registry_names_the_steps_that_read_earlier_dates():
    # every table built from an earlier date, directly or through another, is rebuilt
    tables = set(rebuilt_tables())
    assert {"lineage_edges", "models", "model_changes", "family_downloads_window"} <= tables
    assert {"models_staged", "quarantine", "snapshot_sources", "reconciliation"}.isdisjoint(tables)
    assert len(rebuild_steps()) == len(load_registry().assets_reading_earlier_dates())


@pytest.mark.parametrize("day", [D3, D4])
def test_the_later_days_resolve_the_rename_only_the_late_date_saw(roots, day):
    assert _child_edge(roots["in_order"], day) == ("a/two", "a/three", "renamed")
    # without the refresh the later days keep what they saw: the gap this fixes
    assert _child_edge(roots["late"], day) == ("a/two", "a/two", "missing")
    assert _child_edge(roots["late_refreshed"], day) == ("a/two", "a/three", "renamed")


def test_the_day_after_the_stale_one_is_built_again_too(roots):
    # D3 was compared with D1; D4 with D3, which it still follows, yet D3 changed under it
    assert stale_days(roots["late"]) == [D3, D4]
    assert stale_days(roots["late_refreshed"]) == []


def test_a_refresh_cut_short_leaves_the_rest_stale_and_the_next_one_finishes(roots, tmp_path):
    """The days after a rebuilt one are stale because the build they read was replaced (its
    stamp), not because a refresh remembers where it stopped."""
    layout = _build(tmp_path / "cut", [D1, D3, D4, D2], refresh=False)
    with duckdb.connect() as conn:
        first = refresh_stale_days(layout, conn, pipeline_version="t", source_commit=None, until=D3)
        assert first.rebuilt == [D3]
        # D4's lineage and history read D3 as it was built before: stale by D3's new build
        assert stale_days(layout) == [D4]
        second = refresh_stale_days(layout, conn, pipeline_version="t", source_commit=None)
        assert second.rebuilt == [D4]
        assert stale_days(layout) == []
        for table in rebuilt_tables():
            expected = roots["in_order"].table_partition(table, D4)
            if expected.is_file():
                assert _differences(expected, layout.table_partition(table, D4)) == 0, table
        # an earlier day built again (a rerun) makes every day after it stale
        build_day(layout, D2, conn)
        assert stale_days(layout) == [D3, D4]


@pytest.mark.parametrize("day", [D2, D3, D4])
def test_every_table_of_every_day_equals_the_dates_run_in_order(roots, day):
    in_order, late, refreshed = roots["in_order"], roots["late"], roots["late_refreshed"]
    differing_before = []
    for table in rebuilt_tables():
        expected = in_order.table_partition(table, day)
        got = refreshed.table_partition(table, day)
        assert got.is_file() == expected.is_file(), table
        if not expected.is_file():
            continue
        assert _differences(expected, got) == 0, f"{table} on {day}"
        if _differences(expected, late.table_partition(table, day)):
            differing_before.append(table)
    if day == D3:
        # the tables the late date changed on D3, lineage, `models`, history and the window
        assert {"lineage_edges", "models", "model_changes", "family_downloads_window"} <= set(
            differing_before
        )
    if day == D4:
        # D4 saw D3 before D2 arrived: its lineage and `models` changed with D3's aliases
        assert {"lineage_edges", "models"} <= set(differing_before)


def test_a_later_day_whose_lineage_ran_before_the_earlier_date_was_staged_is_stale(tmp_path):
    """Two runs side by side: D3's lineage runs before D2 is staged, its history after D2 is
    built (the history step waits for earlier runs), so the history's basis alone looks right."""
    layout = Layout(tmp_path / "out")
    with duckdb.connect() as conn:
        for day in (D1, D3, D2):
            write_raw_snapshot(layout, day, _listing(day))
        build_day(layout, D1, conn)
        stage_models(layout, D3, conn)
        build_snapshot_sources(layout, D3, SourceInfo("recorded_replay"), conn)
        build_datasets(layout, D3, conn)
        build_model_licenses(layout, D3, conn)
        build_lineage(layout, D3, conn)
        build_day(layout, D2, conn)
        build_models(layout, D3, conn)
        build_history(layout, D3, conn)
        build_derivatives(layout, D3, conn)
        assert stale_history_dates(layout) == []
        assert stale_days(layout) == [D3]
        assert _child_edge(layout, D3) == ("a/two", "a/two", "missing")
        refresh = refresh_stale_days(layout, conn, pipeline_version="test", source_commit=None)
    assert refresh.rebuilt == [D3]
    assert _child_edge(layout, D3) == ("a/two", "a/three", "renamed")
    assert stale_days(layout) == []


def _export_all(tmp_path: Path, world: World, days: list[date]) -> dict[date, Path]:
    files = {}
    for day in days:
        files[day] = tmp_path / "listings" / f"{day}.jsonl.gz"
        files[day].parent.mkdir(exist_ok=True)
        export_listing(world, day, files[day])
    return files


def test_a_backfill_into_a_root_with_a_later_day_rebuilds_that_day_once(
    tmp_path, capsys, monkeypatch
):
    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    start = date(2022, 3, 3)
    days = [start + timedelta(days=i) for i in range(3)]
    world = World(WorldConfig(seed=5, start_date=start, n_models=200))
    files = _export_all(tmp_path, world, days)
    installed, archive = days[-1], days[:-1]
    # The census installed on its last day, then the archive of the days before it.
    late = tmp_path / "late"
    args = ["--from-file", str(files[installed]), "--out", str(late)]
    assert main(["run", "--date", str(installed), *args]) == EXIT_OK
    first_release = read_manifest(Layout(late).release(installed))["release_id"]
    archive_dir = tmp_path / "archive"
    archive_dir.mkdir()
    for day in archive:
        (archive_dir / files[day].name).symlink_to(files[day])
    capsys.readouterr()
    assert main(["backfill", str(archive_dir), "--out", str(late), "--no-progress"]) == EXIT_OK
    said = capsys.readouterr()
    # once, at the end, not after every imported date (the runs' own refresh would say so on
    # stderr)
    assert (said.out + said.err).count(f"building {installed} again") == 1, said
    assert f"built again: {installed}" in said.out
    assert stale_days(Layout(late)) == []
    # the instance shows the installed day built again, beside its own run's materializations
    with dg.DagsterInstance.get() as instance:
        for key in ("models", "lineage_edges", "release"):
            records = instance.fetch_materializations(dg.AssetKey(key), limit=20).records
            of_day = [r for r in records if r.asset_materialization.partition == str(installed)]
            again = [r for r in of_day if "built_again_by" in r.asset_materialization.metadata]
            assert len(of_day) == 2 and len(again) == 1, key
        # The archive's runs leave the catalog out: it is rebuilt once, after every date, and
        # recorded as the catalog of each date the backfill built or built again (the installed
        # day's own run recorded one before).
        records = instance.fetch_materializations(dg.AssetKey("catalog"), limit=20).records
        from_runs = [r.asset_materialization.partition for r in records if r.run_id]
        assert from_runs == [str(installed)]
        after = [r for r in records if not r.run_id]
        assert sorted(r.asset_materialization.partition for r in after) == [str(d) for d in days]
        assert all("rebuilt_by" in r.asset_materialization.metadata for r in after)
    listed = query("select snapshot_date, is_latest from releases order by 1", late).to_pylist()
    assert listed == [{"snapshot_date": d, "is_latest": d == installed} for d in days]
    # The same dates in order, into another root.
    in_order = tmp_path / "in_order"
    for day in days:
        args = ["--from-file", str(files[day]), "--out", str(in_order)]
        assert main(["run", "--date", str(day), *args]) == EXIT_OK
    got, expected = Layout(late).release(installed), Layout(in_order).release(installed)
    assert read_manifest(got)["release_id"] != first_release
    tables = sorted(p.name for p in expected.glob("*.parquet"))
    assert tables == sorted(p.name for p in got.glob("*.parquet"))
    assert "model_changes.parquet" in tables
    for name in tables:
        assert _differences(expected / name, got / name) == 0, name


def test_a_later_day_that_cannot_be_built_again_fails_the_backfill_clearly(tmp_path, capsys):
    start = date(2022, 3, 3)
    days = [start, start + timedelta(days=1)]
    world = World(WorldConfig(seed=6, start_date=start, n_models=100))
    files = _export_all(tmp_path, world, days)
    out = tmp_path / "out"
    args = ["--from-file", str(files[days[1]]), "--out", str(out)]
    assert main(["run", "--date", str(days[1]), *args]) == EXIT_OK
    released = read_manifest(Layout(out).release(days[1]))
    # the later day's staged snapshot is gone: it cannot be built again
    Layout(out).table_partition("models_staged", days[1]).unlink()
    archive_dir = tmp_path / "archive"
    archive_dir.mkdir()
    (archive_dir / files[days[0]].name).symlink_to(files[days[0]])
    capsys.readouterr()
    code = main(["backfill", str(archive_dir), "--out", str(out), "--no-progress"])
    said = capsys.readouterr().out
    assert code == EXIT_FAILED, said
    assert "building the later days again failed" in said and "stay stale" in said
    assert "Traceback" not in said
    # the imported date is released; the later day's release is the one it had
    assert read_manifest(Layout(out).release(days[0])) is not None
    assert read_manifest(Layout(out).release(days[1])) == released
    assert stale_days(Layout(out)) == [days[1]]


def test_a_rebuilt_day_that_fails_the_ancestry_check_stays_stale_and_unpublished(
    tmp_path, monkeypatch
):
    layout = _build(tmp_path / "out", [D1, D3, D4, D2], refresh=False)
    history_before = layout.table_partition("model_changes", D3).read_bytes()
    # the check as the rebuilt lineage of D3 would fail it (the walk itself is tested in
    # tests/lineage); here: what the refresh does with a failure
    checked = []

    def failing_check(layout_, day, conn):
        checked.append(day)
        return 2

    monkeypatch.setattr("pipeline.daily.cycle_edges_in_ancestry", failing_check)
    with duckdb.connect() as conn, pytest.raises(RebuildIntegrityError, match=str(D3)):
        refresh_stale_days(layout, conn, pipeline_version="t", source_commit=None)
    assert checked == [D3]
    # stopped before D3's history: D3 is still stale, and so the next refresh tries it again
    assert layout.table_partition("model_changes", D3).read_bytes() == history_before
    assert stale_days(layout) == [D3, D4]


def test_a_stale_day_another_run_holds_stops_the_refresh_there(tmp_path):
    layout = _build(tmp_path / "out", [D1, D3, D4, D2], refresh=False)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from datetime import date; from pathlib import Path; "
            "from pipeline.locks import date_lock; from pipeline.paths import Layout; "
            f"cm = date_lock(Layout(Path({str(layout.root)!r})), date.fromisoformat('{D3}')); "
            "cm.__enter__(); print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with duckdb.connect() as conn:
            held = refresh_stale_days(layout, conn, pipeline_version="t", source_commit=None)
        # D4 reads D3: it waits for D3's own run rather than being built on the old D3
        assert held.rebuilt == [] and held.left_stale == [D3, D4]
        assert stale_days(layout) == [D3, D4]
    finally:
        holder.communicate("", timeout=30)
    with duckdb.connect() as conn:
        freed = refresh_stale_days(layout, conn, pipeline_version="t", source_commit=None)
    assert freed.rebuilt == [D3, D4] and freed.left_stale == []
    assert _child_edge(layout, D4) == ("a/two", "a/three", "renamed")
