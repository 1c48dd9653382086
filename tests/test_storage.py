"""Partition writes: idempotent, and never replace good data with nothing."""

from datetime import date

import duckdb
import pytest

from pipeline.paths import Layout
from pipeline.storage import EmptyPartitionError, previous_date, write_partition

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
