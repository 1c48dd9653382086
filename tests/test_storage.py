"""Partition I/O: dates listed from what is written; writes idempotent, durable (fsynced file
and directory), never replacing good data with nothing, and sweeping only dead writers' debris."""

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.paths import Layout
from pipeline.storage import (
    EmptyPartitionError,
    atomic_target,
    atomic_write_json,
    atomic_write_text,
    basis_path,
    partition_dates,
    previous_date,
    write_basis,
    write_partition,
)

DAY = date(2026, 1, 2)
ROWS = "select * from range(?) as t(x) order by x"


def _values(path) -> list[int]:
    return [
        r[0] for r in duckdb.sql("select x from read_parquet(?)", params=[str(path)]).fetchall()
    ]


def test_write_is_idempotent_and_byte_identical(tmp_path):
    layout = Layout(tmp_path)
    with duckdb.connect() as conn:
        path, rows = write_partition(conn, layout, "t", DAY, ROWS, [5])
        first = path.read_bytes()
        again, rows_again = write_partition(conn, layout, "t", DAY, ROWS, [5])
    assert (rows, rows_again) == (5, 5)
    assert _values(path) == [0, 1, 2, 3, 4]
    assert again.read_bytes() == first


def test_empty_result_is_refused_and_the_old_partition_survives(tmp_path):
    layout = Layout(tmp_path)
    with duckdb.connect() as conn:
        path, _ = write_partition(conn, layout, "t", DAY, ROWS, [3])
        with pytest.raises(EmptyPartitionError, match="refusing to write an empty partition"):
            write_partition(conn, layout, "t", DAY, ROWS, [0])
        empty, rows = write_partition(conn, layout, "u", DAY, ROWS, [0], allow_empty=True)
    assert _values(path) == [0, 1, 2]
    assert rows == 0 and empty.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["data.parquet"]


def test_a_failing_query_leaves_the_old_partition_and_no_temp_file(tmp_path):
    layout = Layout(tmp_path)
    with duckdb.connect() as conn:
        path, _ = write_partition(conn, layout, "t", DAY, ROWS, [3])
        with pytest.raises(duckdb.Error):
            write_partition(conn, layout, "t", DAY, "select 1 / 0 as x from no_such_table")
    assert _values(path) == [0, 1, 2]
    assert [p.name for p in path.parent.iterdir()] == ["data.parquet"]


def test_previous_date_skips_gaps(tmp_path):
    layout = Layout(tmp_path)
    with duckdb.connect() as conn:
        for day in (date(2026, 1, 1), date(2026, 1, 4)):
            write_partition(conn, layout, "t", day, ROWS, [1])
    assert previous_date(layout, "t", date(2026, 1, 4)) == date(2026, 1, 1)
    assert previous_date(layout, "t", date(2026, 1, 3)) == date(2026, 1, 1)
    assert previous_date(layout, "t", date(2026, 1, 1)) is None


def test_debris_of_a_killed_writer_is_swept(tmp_path):
    layout = Layout(tmp_path)
    path = layout.table_partition("t", DAY)
    path.parent.mkdir(parents=True)
    debris = path.with_name(".data.parquet.99999.tmp")
    debris.write_bytes(b"half a file")
    with duckdb.connect() as conn:
        write_partition(conn, layout, "t", DAY, ROWS, [2])
    assert not debris.exists()
    assert _values(path) == [0, 1]


def test_partition_dates_lists_only_written_partitions(tmp_path):
    layout = Layout(tmp_path)
    with duckdb.connect() as conn:
        for day in (date(2026, 1, 3), date(2026, 1, 1)):
            write_partition(conn, layout, "t", day, ROWS, [1])
    # a folder without its file (a killed writer's) and one whose key is not a date
    (layout.table_dir("t") / "snapshot_date=2026-01-02").mkdir()
    (layout.table_dir("t") / "snapshot_date=soon").mkdir()
    (layout.table_dir("t") / "snapshot_date=soon" / "data.parquet").write_bytes(b"")
    assert partition_dates(layout, "t") == [date(2026, 1, 1), date(2026, 1, 3)]
    assert partition_dates(layout, "never_written") == []


def _fsynced(monkeypatch) -> list[str]:
    """Paths fsynced from now on, as os.fsync saw them (files and directories)."""
    synced: list[str] = []
    real = os.fsync

    def recording(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return synced


def test_atomic_write_fsyncs_the_file_and_its_directory(tmp_path, monkeypatch):
    path = tmp_path / "d" / "x.json"
    synced = _fsynced(monkeypatch)
    atomic_write_json(path, {"a": 1})
    assert json.loads(path.read_text()) == {"a": 1}
    # the temporary file's content before the rename, then the rename itself
    assert any(Path(p).name.startswith(".x.json.") for p in synced), synced
    assert str(path.parent) in synced
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]


def test_a_failed_atomic_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "x.txt"
    atomic_write_text(path, "old")
    with pytest.raises(RuntimeError, match="midway"), atomic_target(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("midway")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_only_a_dead_writers_temp_file_is_swept(tmp_path):
    path = tmp_path / "x.txt"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    debris = tmp_path / f".x.txt.{dead.pid}.tmp"
    debris.write_text("half")
    live = tmp_path / f".x.txt.{os.getppid()}.tmp"
    live.write_text("being written")
    atomic_write_text(path, "new")
    assert not debris.exists()
    assert live.read_text() == "being written"
    assert path.read_text() == "new"


@pytest.mark.parametrize("writer", ["gate", "history_basis", "lineage_ledger"])
def test_day_records_are_written_durably(tmp_path, monkeypatch, writer):
    """Gate outcomes, history's basis and the lineage ledger used to be renamed into place
    without an fsync: a power loss could leave an empty file under the final name."""
    from pipeline.gates import GateRecord, record_gate
    from pipeline.lineage.build import _write_ledger

    layout = Layout(tmp_path)
    synced = _fsynced(monkeypatch)
    if writer == "gate":
        record_gate(layout, DAY, GateRecord("row_count", True, "fine"))
        path = layout.root / "gates" / DAY.isoformat() / "row_count.json"
    elif writer == "history_basis":
        write_basis(layout, "history", DAY, None, None)
        path = basis_path(layout, "history", DAY)
    else:
        path = _write_ledger(layout, DAY, {"n_models": 1})
    assert json.loads(path.read_text())
    assert any(Path(p).name.startswith(f".{path.name}.") for p in synced), synced
    assert str(path.parent) in synced
