"""A partition the stages wrote in release form is published by copying its bytes: the copy is
the file a rewrite would write, and the contract's checks still refuse a bad partition."""

from __future__ import annotations

import json
import os
from datetime import date

import duckdb
import pytest

from pipeline.contract import ContractViolation, load_contract
from pipeline.paths import Layout
from pipeline.release import publish as publish_module
from pipeline.release import publish_release
from pipeline.release.demo import write_demo_warehouse
from pipeline.storage import release_form_record, write_partition

VERSION = {"pipeline_version": "0.1.0", "source_commit": None}
DAY = date(2025, 7, 1)
SAME = "select * from read_parquet(getvariable('src'))"


def _through_writer(layout: Layout, table: str, sql: str = SAME) -> None:
    """Write a demo partition again through `write_partition`, as a stage writes it."""
    path = layout.table_partition(table, DAY)
    conn = duckdb.connect()
    conn.execute("set variable src = ?", [str(path)])
    conn.execute(f"create table rows as {sql}")
    write_partition(conn, layout, table, DAY, conn.table("rows"), allow_empty=True)
    conn.close()


def _stage_written(root) -> Layout:
    layout = Layout(root)
    write_demo_warehouse(layout, DAY, n_models=1_500, seed=5, n_previous=1_400)
    for table in load_contract().tables:
        if layout.table_partition(table, DAY).is_file():
            _through_writer(layout, table)
    return layout


@pytest.fixture
def rewritten(monkeypatch):
    """The tables a publish reads to sort and write itself (rather than copy)."""
    names = []
    read = publish_module._read_source

    def spy(conn, table, source, snapshot_date):
        names.append(table.name)
        return read(conn, table, source, snapshot_date)

    monkeypatch.setattr(publish_module, "_read_source", spy)
    return names


def test_partitions_in_release_form_are_copied_and_equal_a_rewrite(tmp_path, rewritten):
    copied = _stage_written(tmp_path / "copied")
    result = publish_release(copied, DAY, **VERSION)
    # Only the seed-backed reference table (no partition) was written by the publish.
    assert rewritten == ["licenses"]
    tables = [t for t in load_contract().tables if copied.table_partition(t, DAY).is_file()]
    assert len(tables) >= 10
    for table in tables:
        published = copied.release(DAY) / f"{table}.parquet"
        partition = copied.table_partition(table, DAY)
        assert published.read_bytes() == partition.read_bytes(), table
        # A copy, not a link: nothing done to the warehouse can reach the published file.
        assert not os.path.samefile(published, partition)
        # Every column OPTIONAL, whatever the data: the schema does not change with the day.
        repetition = duckdb.execute(
            "select name, repetition_type from parquet_schema(?) where name <> 'duckdb_schema'",
            [str(published)],
        ).fetchall()
        assert [n for n, r in repetition if r == "REQUIRED"] == [], table

    # The same partitions without their records take the old path: sorted and written by the
    # publish. The files, and so the release id, are the same.
    rewritten.clear()
    fresh = _stage_written(tmp_path / "rewritten")
    for table in tables:
        release_form_record(fresh.table_partition(table, DAY)).unlink()
    again = publish_release(fresh, DAY, **VERSION)
    assert sorted(rewritten) == sorted([*tables, "licenses"])
    for table in [*tables, "licenses"]:
        name = f"{table}.parquet"
        assert result.files[name]["sha256"] == again.files[name]["sha256"], table
    assert again.release_id == result.release_id


@pytest.mark.parametrize(
    ("table", "sql", "message"),
    [
        (
            "models",
            f"{SAME} union all ({SAME} order by model_id limit 2)",
            'unique key ("model_id") has 2 duplicated values',
        ),
        (
            "lineage_edges",
            f"select * replace (case when child_id = (select min(child_id) from ({SAME})) "
            "then date '2025-06-30' else snapshot_date end as snapshot_date) from "
            "read_parquet(getvariable('src'))",
            "rows have a snapshot_date other than 2025-07-01",
        ),
    ],
    ids=["duplicate-key", "wrong-date"],
)
def test_a_bad_partition_in_release_form_is_refused_by_the_copy(
    tmp_path, rewritten, table, sql, message
):
    layout = Layout(tmp_path / "out")
    write_demo_warehouse(layout, DAY, n_models=1_500, seed=5)
    _through_writer(layout, table, sql)
    assert release_form_record(layout.table_partition(table, DAY)).is_file()
    with pytest.raises(ContractViolation) as caught:
        publish_release(layout, DAY, **VERSION)
    assert caught.value.table == table
    assert any(message in d for d in caught.value.differences), caught.value.differences
    # Refused on the copy path: the publish did not get as far as rewriting it.
    assert table not in rewritten
    assert not layout.release(DAY).exists()
    assert not list(layout.releases().glob(".staging-*"))


def test_a_partition_replaced_behind_its_record_is_rewritten_and_checked(tmp_path, rewritten):
    layout = Layout(tmp_path / "out")
    write_demo_warehouse(layout, DAY, n_models=1_500, seed=5)
    _through_writer(layout, "models")
    path = layout.table_partition("models", DAY)
    tmp = path.with_name("tampered.parquet")
    conn = duckdb.connect()
    conn.execute("set variable src = ?", [str(path)])
    conn.sql(f"{SAME} union all ({SAME} order by model_id limit 1)").write_parquet(str(tmp))
    conn.close()
    os.replace(tmp, path)  # the record still names the file write_partition wrote
    with pytest.raises(ContractViolation) as caught:
        publish_release(layout, DAY, **VERSION)
    assert any('unique key ("model_id") has 1 duplicated' in d for d in caught.value.differences)
    assert "models" in rewritten


def test_a_record_of_another_release_form_is_not_trusted(tmp_path, rewritten):
    layout = Layout(tmp_path / "out")
    write_demo_warehouse(layout, DAY, n_models=1_500, seed=5)
    _through_writer(layout, "lineage_ancestry")
    record_path = release_form_record(layout.table_partition("lineage_ancestry", DAY))
    record = json.loads(record_path.read_text())
    record["release_form"] = "0" * 64  # written for another contract, writer or settings
    record_path.write_text(json.dumps(record))
    publish_release(layout, DAY, **VERSION)
    assert "lineage_ancestry" in rewritten
