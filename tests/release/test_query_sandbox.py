"""`hub-census query` cannot change a release, reach the network, read outside the output root
or unlock its own sandbox (issue 13, item 6). Each attack is tried through the query command;
afterwards every release still matches its manifest and no file under the root has changed."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import DAYS, build_demo_days

from pipeline.release import (
    QueryRefusedError,
    connect,
    main_query,
    publish_release,
    query,
    release_dates,
    verify_release,
)

VERSION = {"pipeline_version": "0.1.0", "source_commit": None}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    layout, _ = build_demo_days(
        tmp_path_factory.mktemp("sandbox") / "out", days=DAYS[:2], sizes=(300, 320)
    )
    for day in DAYS[:2]:
        publish_release(layout, day, **VERSION)
    return layout


@pytest.fixture
def http_requests() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request it receives."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_error(404)

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def _tree(root: Path) -> dict[str, str]:
    """Every file under the root and its sha256: what "nothing changed" is checked against."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_query_attacks_are_refused_and_change_nothing(published, http_requests, tmp_path, capsys):
    layout = published
    url, seen = http_requests
    root = layout.root.resolve()
    latest = layout.release(DAYS[1]).resolve()
    outside = tmp_path / "secret.txt"
    outside.write_text("not for the query\n")
    before = _tree(root)
    attacks = {
        "copy into a release": f"copy (select 1 as x) to '{latest}/quarantine.parquet' "
        "(format parquet)",
        "copy as a select": "select * from query("
        f"'copy (select 1) to ''{latest}/models.parquet''')",
        "attach read-write": f"attach '{root}/releases/evil.duckdb' as evil (read_only false)",
        "install from the network": f"install httpfs from '{url}'",
        "load": "load httpfs",
        "read a url": f"select * from read_parquet('{url}/x.parquet')",
        "read_text outside": "select * from read_text('/etc/passwd')",
        "read_csv outside": f"select * from read_csv('{outside}')",
        "read_text beside": f"select * from read_text('{tmp_path}/*')",
        "dotdot out of the root": f"select * from read_text('{root}/releases/../../secret.txt')",
        "unlock": "set enable_external_access = true",
        "unlock the lock": "set lock_configuration = false",
        "two statements": "select 1; copy (select 1) to 'x.csv'",
        "pragma": "pragma enable_checkpoint_on_shutdown",
        "create": "create table t as select 1",
    }
    for name, sql in attacks.items():
        code = main_query(layout.root, sql)
        err = capsys.readouterr().err
        assert code in (1, 2), f"{name}: exit {code}"
        assert err.startswith("error: "), f"{name}: {err!r}"
        assert "secret" not in capsys.readouterr().out
    assert seen == [], "the query reached the network"
    assert not (root / "releases" / "evil.duckdb").exists()
    for day in release_dates(layout):
        assert verify_release(layout.release(day)) == [], day
    assert _tree(root) == before
    # Reading the releases still works, and --csv is written by the command, not the SQL.
    out_csv = tmp_path / "result.csv"
    assert main_query(layout.root, "select count(*) as n from models", csv=out_csv) == 0
    assert out_csv.read_text().splitlines() == ["n", "320"]


def test_the_connection_itself_is_sandboxed(published, http_requests, tmp_path):
    """Below the one-SELECT rule, the connection refuses reads outside the root, extensions and
    configuration changes on its own."""
    url, seen = http_requests
    (tmp_path / "secret.txt").write_text("x\n")
    conn = connect(published.root)
    try:
        assert conn.execute("select count(*) from models").fetchone() == (320,)
        for sql in (
            "select * from read_text('/etc/passwd')",
            f"select * from read_text('{tmp_path}/secret.txt')",
            f"install httpfs from '{url}'",
            "load httpfs",
            "set enable_external_access = true",
            "set allowed_directories = ['/']",
            "reset lock_configuration",
        ):
            with pytest.raises(duckdb.Error):
                conn.execute(sql)
    finally:
        conn.close()
    assert seen == []


def test_the_python_query_api_refuses_writes(published):
    latest = published.release(DAYS[1]).resolve()
    with pytest.raises(QueryRefusedError):
        query(f"copy (select 1) to '{latest}/models.parquet'", published.root)
    assert query("describe models", published.root).num_rows > 0
    assert verify_release(latest) == []


def test_a_result_file_inside_the_root_is_refused(published, tmp_path, capsys):
    """Trial of issue 13: on the old code `--csv <release>/quarantine.parquet` replaced a
    published file with CSV text, and `--parquet releases/latest/models.parquet` (through the
    `latest` link) replaced the latest release's models."""
    layout = published
    root = layout.root.resolve()
    before = _tree(root)
    link = tmp_path / "innocent.csv"
    link.symlink_to(layout.release(DAYS[1]).resolve() / "licenses.parquet")
    targets = [
        ("csv", layout.release(DAYS[0]) / "quarantine.parquet"),
        ("parquet", layout.root / "releases" / "latest" / "models.parquet"),
        ("csv", layout.root / "history" / ".." / "releases" / "x.csv"),
        ("csv", layout.root / "catalog.duckdb"),
        ("csv", link),
    ]
    for kind, target in targets:
        code = main_query(layout.root, "select 1 as x", **{kind: target})
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("error: refusing to write"), (target, err)
        assert len(err.strip().splitlines()) == 1
    assert not (root / "releases" / "x.csv").exists()
    for day in release_dates(layout):
        assert verify_release(layout.release(day)) == [], day
    assert _tree(root) == before
