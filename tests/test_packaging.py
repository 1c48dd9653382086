"""An installed wheel carries what a checkout reads from the repository: sql/ and its seeds."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("hub_census-*.whl")
    return path


def test_wheel_carries_every_sql_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "pipeline/sql/" + p.relative_to(REPO / "sql").as_posix()
        for p in (REPO / "sql").rglob("*")
        if p.is_file()
    }
    assert expected, "sql/ is empty"
    assert expected <= names, sorted(expected - names)[:10]
    assert "pipeline/cli.py" in names


def test_installed_wheel_finds_sql_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        ["uv", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import pipeline.sql as s; p = s.sql_dir(); "
        "assert (p / 'seeds' / 'licenses.csv').is_file(), p; "
        "print(p); print(len(s.load_sql('staging/models_staged')))"
    )
    # Run from an empty folder with only the installed copy importable, not the checkout.
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    sql_dir, length = result.stdout.split()
    assert Path(sql_dir).is_relative_to(target)
    assert int(length) > 0
