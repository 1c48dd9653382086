"""DuckDB's temporary files go under the output root, never into the working directory.

DuckDB's default spill folder for an in-memory database is `.tmp` in the process's working
directory, which for a scheduled run (a daemon, a cron job) may be any folder at all.
"""

import os
from pathlib import Path

from pipeline.defs.resources import DuckDB
from pipeline.paths import Layout
from pipeline.sql import engine

# Far more than the memory limit below holds: the table must spill.
SPILL_ROWS = 3_000_000


def _fill_past_memory(conn) -> list[Path]:
    conn.execute(
        "create temp table t as select range as r, md5(range::varchar) as s from range(?)",
        [SPILL_ROWS],
    )
    # The rows are all there, read back from memory and the spilled blocks.
    assert conn.execute("select count(distinct s) from t").fetchone() == (SPILL_ROWS,)
    return [
        Path(p) for (p,) in conn.execute("select path from duckdb_temporary_files()").fetchall()
    ]


def test_a_step_spills_under_the_output_root_not_the_working_directory(tmp_path, monkeypatch):
    cwd = tmp_path / "started here"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    layout = Layout(tmp_path / "out root")
    layout.root.mkdir()

    with DuckDB(memory_limit="64MB", threads=1).connect(layout) as conn:
        spilled = _fill_past_memory(conn)
        assert spilled, "the table fit in memory: the test shows nothing"
        assert all(p.parent == layout.spill() for p in spilled), spilled
        assert all(p.is_file() for p in spilled)
        assert os.listdir(cwd) == []

    # closed: DuckDB removes its files and the folder it made
    assert not layout.spill().exists()
    assert os.listdir(cwd) == []


def test_the_engine_the_publish_opens_spills_under_the_root_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    layout = Layout(tmp_path / "root")
    layout.root.mkdir()
    conn = engine(layout, memory_limit="64MB", threads=1)
    try:
        spilled = _fill_past_memory(conn)
    finally:
        conn.close()
    assert spilled and all(p.parent == layout.spill() for p in spilled)
    assert sorted(os.listdir(tmp_path)) == ["root"]
