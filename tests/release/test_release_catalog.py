"""The catalog and the ways to read releases: SQL, the query command, notebook entry points,
and readers running while a publish swaps releases."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
from conftest import DAYS, build_demo_days

from pipeline.release import (
    NoReleaseError,
    connect,
    load_history,
    load_table,
    main_query,
    publish_release,
    query,
)
from pipeline.release.demo import write_demo_warehouse

REPO = Path(__file__).resolve().parents[2]
VERSION = {"pipeline_version": "0.1.0", "source_commit": None}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    layout, truths = build_demo_days(tmp_path_factory.mktemp("catalog") / "out")
    for day in DAYS:
        publish_release(layout, day, **VERSION)
    return layout, truths


def test_a_copied_root_is_read_where_it_now_lies(tmp_path):
    """catalog.duckdb keeps the absolute paths it was written with: a copy of the root must not
    read the original's files, nor fail once the original is gone."""
    layout, truths = build_demo_days(tmp_path / "out", days=DAYS[:2], sizes=(3_000, 3_200))
    for day in DAYS[:2]:
        publish_release(layout, day, **VERSION)
    copy = tmp_path / "copy"
    shutil.copytree(layout.root, copy, symlinks=True)

    conn = connect(copy)
    try:
        views = dict(conn.execute("select view_name, sql from duckdb_views()").fetchall())
    finally:
        conn.close()
    assert {"models", "models_history", "lineage_edges"} <= set(views)
    for name in ("models", "models_history"):
        assert str(copy.resolve()) in views[name]
        assert str(layout.root.resolve()) not in views[name]

    shutil.rmtree(layout.root)
    expected = [{"n": len(truths[DAYS[1]].model_ids)}]
    assert query("select count(*) as n from models", copy).to_pylist() == expected
    per_day = query(
        "select snapshot_date, count(*) as n from models_history group by 1 order by 1", copy
    ).to_pylist()
    assert per_day == [{"snapshot_date": d, "n": len(truths[d].model_ids)} for d in DAYS[:2]]
    releases = query("select snapshot_date, is_latest, path from releases", copy).to_pylist()
    assert {r["snapshot_date"]: r["is_latest"] for r in releases} == {DAYS[0]: False, DAYS[1]: True}
    assert all(r["path"].startswith(str(copy.resolve())) for r in releases)
    # the sandbox holds on the catalog made in memory as on the file
    with pytest.raises(duckdb.Error):
        query("select * from read_text('/etc/hostname')", copy)


def test_catalog_views_name_the_latest_release_and_the_history(published):
    layout, truths = published
    latest = DAYS[-1]
    assert query("select count(*) as n from models", layout.root).to_pylist() == [
        {"n": len(truths[latest].model_ids)}
    ]
    per_day = query(
        "select snapshot_date, count(*) as n from models_history group by 1 order by 1",
        layout.root,
    ).to_pylist()
    assert per_day == [{"snapshot_date": d, "n": len(truths[d].model_ids)} for d in DAYS]
    as_of = query("select count(*) as n from models_as_of(?)", layout.root, [DAYS[0]])
    assert as_of.to_pylist() == [{"n": len(truths[DAYS[0]].model_ids)}]
    releases = query(
        "select snapshot_date, is_latest from releases order by snapshot_date", layout.root
    ).to_pylist()
    assert releases == [{"snapshot_date": d, "is_latest": d == latest} for d in DAYS]
    columns = (
        query(
            "select column_name from schema_columns where table_name = 'lineage_ancestry' "
            "order by position",
            layout.root,
        )
        .column("column_name")
        .to_pylist()
    )
    assert columns == [
        "snapshot_date",
        "model_id",
        "ancestor_id",
        "distance",
        "max_distance",
        "is_root",
    ]


def test_main_query_prints_or_writes_csv_and_parquet(published, tmp_path, capsys):
    layout, truths = published
    sql = "select model_id, lineage_depth from models order by model_id limit 3"
    expected = sorted(truths[DAYS[-1]].model_ids)[:3]
    assert main_query(layout.root, sql) == 0
    printed = capsys.readouterr().out
    assert all(m in printed for m in expected)
    out_csv, out_parquet = tmp_path / "q.csv", tmp_path / "q.parquet"
    assert main_query(layout.root, sql, csv=out_csv, parquet=out_parquet) == 0
    with out_csv.open() as f:
        assert [r["model_id"] for r in csv.DictReader(f)] == expected
    assert pq.read_table(out_parquet).column("model_id").to_pylist() == expected
    assert main_query(layout.root, "select * from no_such_table") == 1
    assert "no_such_table" in capsys.readouterr().err
    assert main_query(tmp_path / "empty", "select 1") == 2


def test_load_table_for_notebooks(published):
    layout, truths = published
    frame = load_table("models", root=layout.root)
    assert isinstance(frame, pl.LazyFrame)
    collected = frame.select("model_id", "card_data").collect()
    assert collected.height == len(truths[DAYS[-1]].model_ids)
    # JSON arrives as text that Polars can parse.
    assert collected["card_data"].dtype == pl.String
    assert collected["card_data"].str.json_path_match("$.license").null_count() < collected.height
    first = load_table("lineage_edges", date=DAYS[0], root=layout.root, engine="duckdb")
    assert isinstance(first, duckdb.DuckDBPyRelation)
    truth = truths[DAYS[0]]
    edges = int((truth.parent >= 0).sum()) + len(truth.missing_parent_children)
    assert first.aggregate("count(*)").fetchall() == [(edges,)]
    history = load_history("models", root=layout.root)
    counts = history.group_by("snapshot_date").len().sort("snapshot_date").collect()
    assert counts["len"].to_list() == [len(truths[d].model_ids) for d in DAYS]
    assert history.select("card_data").collect_schema()["card_data"] == pl.String
    with pytest.raises(NoReleaseError):
        load_table("models", root=layout.root / "nowhere")
    with pytest.raises(KeyError):
        load_table("not_a_table", root=layout.root)


READER = """
import json, sys, time
from pathlib import Path
from pipeline.release import query
root, stop = Path(sys.argv[1]), Path(sys.argv[2])
print("ready", flush=True)
while not stop.exists():
    try:
        row = query(
            "select (select count(*) from models) as models, "
            "(select count(*) from lineage_ancestry) as ancestry", root
        ).to_pylist()[0]
        print(json.dumps(row), flush=True)
    except Exception as error:
        print(json.dumps({"error": repr(error)}), flush=True)
"""


def test_queries_during_publish_see_one_release_and_never_fail(tmp_path):
    layout, _ = build_demo_days(tmp_path / "out")
    publish_release(layout, DAYS[0], **VERSION)
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(layout.root), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
    assert reader.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    for day in DAYS[1:]:
        publish_release(layout, day, **VERSION)
    # A forced re-publish of the newest day with different rows, while the reader runs.
    write_demo_warehouse(layout, DAYS[-1], n_models=3_250, seed=7)
    publish_release(layout, DAYS[-1], **VERSION, force=True)
    time.sleep(0.5)
    stop.touch()
    out, _ = reader.communicate(timeout=60)
    results = [json.loads(line) for line in out.splitlines()]
    assert results, "the reader ran no query"
    assert [r for r in results if "error" in r] == []
    observed = {(r["models"], r["ancestry"]) for r in results}
    releases = {
        (
            pq.ParquetFile(p / "models.parquet").metadata.num_rows,
            pq.ParquetFile(p / "lineage_ancestry.parquet").metadata.num_rows,
        )
        for p in [*layout.releases().glob("20*"), *layout.releases().glob(".replaced/*")]
    }
    # Every answer pairs the counts of one release: never models of one with ancestry of another.
    assert observed <= releases
    assert len(observed) >= 2, "the reader should have seen the releases change"
