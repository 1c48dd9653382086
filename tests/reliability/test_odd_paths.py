"""An output root whose name holds glob characters and spaces works everywhere (issue 13,
item 8): DuckDB expands `*`, `?` and `[…]` in the paths it reads, reads a `?` in a database path
as the start of options, and guesses compression from the text after a `?`; before the fix such a
root exited 1 after publishing, or staged every record as invalid JSON."""

from __future__ import annotations

import gzip
from datetime import date

import duckdb
import pytest

from pipeline import cli
from pipeline.paths import Layout, literal_path
from pipeline.release import (
    load_history,
    load_table,
    main_query,
    publish_release,
    release_dates,
    verify_release,
)
from pipeline.release.demo import write_demo_warehouse
from pipeline.report import main_report
from pipeline.simulator.truth import compute_truth
from pipeline.simulator.world import World, WorldConfig

DAYS = (date(2025, 3, 1), date(2025, 3, 2))

MODELS = 120
SEED = 3


ODD = "out [x]*?{a,b}"


def test_literal_path_reads_exactly_the_named_file(tmp_path):
    """Fast: each DuckDB reader the pipeline uses, on a file under an odd name beside decoys
    that the unescaped name would match as a pattern."""
    conn = duckdb.connect()
    for name, rows in ((ODD, 1), ("out [x]zz{a,b}", 2), ("outx-z{a,b}", 3)):
        directory = tmp_path / name
        directory.mkdir()
        conn.sql(f"select range as a from range({rows})").write_parquet(
            str(directory / "t.parquet")
        )
        (directory / "t.csv").write_text("a\n" + "".join(f"{i}\n" for i in range(rows)))
        with gzip.open(directory / "t.jsonl.gz", "wt") as f:
            f.writelines(f'{{"a": {i}}}\n' for i in range(rows))
    odd = tmp_path / ODD
    for sql, file in (
        ("select count(*) from read_parquet(?)", "t.parquet"),
        ("select sum(num_rows) from parquet_file_metadata(?)", "t.parquet"),
        ("select count(*) from read_csv(?, header = true)", "t.csv"),
        ("select count(json) from read_ndjson_objects(?, compression = 'gzip')", "t.jsonl.gz"),
    ):
        assert conn.execute(sql, [literal_path(odd / file)]).fetchall() == [(1,)], sql
        assert conn.execute(sql, [[literal_path(odd / file)]]).fetchall() == [(1,)], sql


def test_publish_catalog_and_query_under_an_odd_root(tmp_path, capsys):
    """Fast: publish two days and rebuild the catalog under the odd root (no Dagster)."""
    layout = Layout(tmp_path / ODD)
    truths = {}
    for day, n, previous in zip(DAYS, (200, 210), (None, 200), strict=True):
        truths[day] = write_demo_warehouse(layout, day, n_models=n, seed=7, n_previous=previous)
        publish_release(layout, day, pipeline_version="0.1.0", source_commit=None)
        assert verify_release(layout.release(day)) == []
    capsys.readouterr()
    sql = "select (select count(*) from models) as m, (select count(*) from models_history) as h"
    out = tmp_path / "q.csv"
    assert main_query(layout.root, sql, csv=out) == 0
    expected = [len(truths[DAYS[1]].model_ids), sum(len(truths[d].model_ids) for d in DAYS)]
    assert out.read_text().splitlines() == ["m,h", ",".join(map(str, expected))]
    history = load_history("models", root=layout.root).collect()
    assert history.height == expected[1]
    assert load_table("models", root=layout.root).collect().height == expected[0]
    assert [p for p in layout.root.rglob("*") if ".tmp" in p.name] == []


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    base = tmp_path_factory.mktemp("odd")
    # A sibling that the unescaped pattern `out [x]*?{a,b}` would also match, with a release
    # of its own: reading it instead (or as well) would change every count below.
    decoy = base / "out [x]zz{a,b}"
    root = base / ODD
    assert cli.demo(1, 40, SEED + 1, decoy) == cli.EXIT_OK
    code = cli.demo(2, MODELS, SEED, root)
    return root, code


@pytest.mark.slow
def test_a_glob_named_root_runs_publishes_and_exits_0(demo_root, capsys):
    root, code = demo_root
    assert code == cli.EXIT_OK
    layout = Layout(root)
    days = release_dates(layout)
    assert len(days) == 2
    world = World(WorldConfig(seed=SEED, start_date=days[0], n_models=MODELS))
    truths = {d: set(compute_truth(world, d).models["model_id"]) for d in days}
    for day in days:
        assert verify_release(layout.release(day)) == []
        published = {
            r[0]
            for r in duckdb.sql(
                "select model_id from read_parquet(?)",
                params=[literal_path(layout.release(day) / "models.parquet")],
            ).fetchall()
        }
        quarantined = duckdb.sql(
            "select count(*) from read_parquet(?)",
            params=[literal_path(layout.release(day) / "quarantine.parquet")],
        ).fetchall()[0][0]
        # every true public model is published or quarantined; none comes from the decoy
        assert published <= truths[day]
        assert len(published) + quarantined == len(truths[day])
        assert len(published) > len(truths[day]) * 0.9
    assert (layout.releases() / "latest").resolve().name == days[-1].isoformat()
    # The catalog was built and its views (history too) read this root only.
    assert layout.catalog().is_file()
    capsys.readouterr()
    sql = "select (select count(*) from models_history) as h, (select count(*) from releases) as r"
    assert main_query(root, sql, csv=root.parent / "q.csv") == 0
    published_rows = sum(
        duckdb.sql(
            "select count(*) from read_parquet(?)",
            params=[literal_path(layout.release(d) / "models.parquet")],
        ).fetchall()[0][0]
        for d in days
    )
    assert (root.parent / "q.csv").read_text().splitlines() == ["h,r", f"{published_rows},2"]
    assert main_report(root, None) == 0
    assert (root / "report" / "index.html").is_file()
    leftovers = [p for p in root.rglob("*") if ".tmp" in p.name or p.name.startswith(".staging")]
    assert leftovers == []
