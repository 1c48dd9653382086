"""Every published table, of a release and of `history/`, read as it lies on disk by pandas,
pyarrow datasets (hive partitioning), Polars, DuckDB and `datasets`, empty tables included.

Row counts are compared with the manifests, which the publish tests check against the
generator's truth; the days in `history/` with the release dates."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from conftest import DAYS, build_demo_days

import datasets
from pipeline.contract import load_contract
from pipeline.release import publish_release


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    layout, _ = build_demo_days(tmp_path_factory.mktemp("readers") / "out", sizes=(300, 320, 330))
    for day in DAYS:
        publish_release(layout, day, pipeline_version="test", source_commit=None)
    rows = {}
    for day in DAYS:
        manifest = json.loads((layout.release(day) / "manifest.json").read_text())
        for meta in manifest["files"].values():
            if "table" in meta:
                rows.setdefault(meta["table"], {})[day] = meta["rows"]
    return layout, rows


def test_the_demo_has_an_empty_table_to_read(published):
    _, rows = published
    assert rows["quarantine"][DAYS[-1]] == 0  # so the empty case below is exercised


def test_release_tables_read_with_every_tool(published, tmp_path):
    layout, rows = published
    release = layout.release(DAYS[-1])
    for table, by_day in rows.items():
        path = release / f"{table}.parquet"
        n = by_day[DAYS[-1]]
        columns = list(load_contract().table(table).column_names)
        assert len(pd.read_parquet(path)) == n, table
        assert ds.dataset(path).count_rows() == n, table
        assert pl.read_parquet(path).height == n, table
        assert (
            duckdb.sql("select count(*) from read_parquet(?)", params=[str(path)]).fetchall()[0][0]
            == n
        ), table
        # `datasets` through the release card's configs: non-streaming needs rows (an empty
        # split has no shard to read, a limit of `datasets`); streaming reads every config.
        streamed = datasets.load_dataset(str(release), table, streaming=True)["train"]
        assert sum(1 for _ in streamed) == n, table
        assert list(streamed.features) == columns, table
        if n:
            loaded = datasets.load_dataset(str(release), table, cache_dir=str(tmp_path / "c"))
            assert loaded["train"].num_rows == n, table


def test_history_reads_with_every_tool_and_dates_are_dates(published, tmp_path):
    layout, rows = published
    for table, by_day in rows.items():
        directory = layout.history(table)
        expected = {d: n for d, n in by_day.items()}
        total = sum(expected.values())

        frame = pd.read_parquet(directory)
        assert len(frame) == total, table
        if total:
            counted = frame.groupby("snapshot_date").size().to_dict()
            assert {d: counted.get(d, 0) for d in expected} == expected, table
            # The folder key says the same day as the column.
            assert (frame["day"].astype(str) == frame["snapshot_date"].astype(str)).all(), table

        dated = ds.partitioning(pa.schema([("day", pa.date32())]), flavor="hive")
        dataset = ds.dataset(directory, partitioning=dated)
        assert dataset.count_rows() == total, table
        assert dataset.schema.field("day").type == pa.date32()
        assert ds.dataset(directory, partitioning="hive").count_rows() == total, table

        scanned = pl.scan_parquet(directory / "*" / "*.parquet", hive_partitioning=True)
        assert scanned.collect_schema()["day"] == pl.Date
        assert scanned.select(pl.len()).collect().item() == total, table

        result = duckdb.sql(
            "select day, count(*) from read_parquet(?, hive_partitioning = true) group by day",
            params=[str(directory / "*" / "*.parquet")],
        )
        assert dict(result.fetchall()) == {d: n for d, n in expected.items() if n}, table
        assert dict(zip(result.columns, result.types, strict=True))["day"] == "DATE"

        streamed = datasets.load_dataset(
            "parquet", data_files=str(directory / "*" / "*.parquet"), streaming=True
        )["train"]
        assert sum(1 for _ in streamed) == total, table


def test_catalog_history_views_read_the_new_layout(published):
    layout, rows = published
    conn = duckdb.connect(str(layout.catalog()), read_only=True)
    try:
        counted = dict(
            conn.sql("select snapshot_date, count(*) from models_history group by 1").fetchall()
        )
        assert counted == rows["models"]
        columns = [c[0] for c in conn.sql("describe models_history").fetchall()]
        assert "day" not in columns  # the view shows the files' own `snapshot_date`
        as_of = conn.sql(f"select count(*) from models_as_of(DATE '{DAYS[0]}')").fetchall()[0][0]
        assert as_of == rows["models"][DAYS[0]]
    finally:
        conn.close()


def test_an_old_layout_is_relinked_on_the_next_publish(tmp_path):
    """An output root published before history was keyed by `day=` is put right."""
    layout, _ = build_demo_days(tmp_path / "out", days=DAYS[:2], sizes=(100, 110))
    for day in DAYS[:2]:
        publish_release(layout, day, pipeline_version="test", source_commit=None)
    # The old layout: folders keyed by the column's own name.
    for partition in layout.root.glob("history/*/day=*"):
        partition.rename(partition.with_name(partition.name.replace("day=", "snapshot_date=")))
    with pytest.raises(Exception, match="snapshot_date"):
        pd.read_parquet(layout.history("models"))  # what users met

    publish_release(layout, DAYS[0], pipeline_version="test", source_commit=None)
    assert not list(layout.root.glob("history/*/snapshot_date=*"))
    frame = pd.read_parquet(layout.history("models"))
    assert sorted(set(frame["snapshot_date"])) == [date.fromisoformat(str(d)) for d in DAYS[:2]]
