"""Disk full and unwritable output: the run fails cleanly, says so, publishes nothing, and the next
run succeeds once space is back.

Disk full is real: the output root is a 24 MiB tmpfs mounted for the test (skipped where mounting
is refused), filled with a ballast file before the second day runs. Unwritable is an output root
whose path runs through a regular file (chmod does not stop root, whom these tests may run as)."""

from __future__ import annotations

import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.cli import EXIT_FAILED, EXIT_OK, main
from pipeline.paths import Layout
from pipeline.release import latest_release_date, query, release_dates, verify_release
from pipeline.simulator.export import export_listing
from pipeline.simulator.world import World, WorldConfig

DAY1 = date(2026, 4, 1)
DAY2 = DAY1 + timedelta(days=1)
TMPFS_SIZE = "24m"


@pytest.fixture(scope="module")
def listings(tmp_path_factory) -> dict[date, Path]:
    folder = tmp_path_factory.mktemp("listings")
    world = World(WorldConfig(seed=43, start_date=DAY1, n_models=1_000))
    paths = {}
    for day in (DAY1, DAY2):
        paths[day] = folder / f"{day}.jsonl.gz"
        export_listing(world, day, paths[day])
    return paths


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Fill `disk` to within `leave` bytes with one ballast file."""
    ballast = disk / "ballast"
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    with ballast.open("wb") as fh:
        fh.truncate(0)
        chunk = b"\0" * (1 << 20)
        remaining = max(0, free - leave)
        while remaining > 0:
            remaining -= fh.write(chunk[: min(len(chunk), remaining)])
    return ballast


def run(listing: Path, out: Path, day: date) -> int:
    return main(["run", "--date", day.isoformat(), "--from-file", str(listing), "--out", str(out)])


def test_disk_full_fails_cleanly_then_recovers(listings, small_disk, capsys):
    out = small_disk / "out"
    layout = Layout(out)
    assert run(listings[DAY1], out, DAY1) == EXIT_OK, capsys.readouterr()
    capsys.readouterr()
    day1_files = {p: p.read_bytes() for p in layout.release(DAY1).rglob("*") if p.is_file()}
    day1_models = query("select count(*) as n from models", out).to_pylist()[0]["n"]

    # Room for the raw pages but not for the day's tables.
    ballast = fill(small_disk, leave=256 * 1024)
    assert run(listings[DAY2], out, DAY2) == EXIT_FAILED
    said = capsys.readouterr()
    message = said.out + said.err
    assert f"{DAY2}: failed" in message
    assert "No space left on device" in message, message
    print("FIGURES disk-full message:", message.strip().replace("\n", " | "))
    # Nothing published: DAY1 is intact, still the latest, and the catalog still answers with it.
    assert release_dates(layout) == [DAY1]
    assert latest_release_date(layout) == DAY1
    assert not layout.release(DAY2).exists()
    assert {p: p.read_bytes() for p in layout.release(DAY1).rglob("*") if p.is_file()} == (
        day1_files
    )
    assert verify_release(layout.release(DAY1)) == []
    assert query("select count(*) as n from models", out).to_pylist() == [{"n": day1_models}]

    ballast.unlink()
    assert run(listings[DAY2], out, DAY2) == EXIT_OK, capsys.readouterr()
    assert latest_release_date(layout) == DAY2
    assert verify_release(layout.release(DAY2)) == []
    assert verify_release(layout.release(DAY1)) == []
    day2_models = query("select count(*) as n from models", out).to_pylist()[0]["n"]
    assert day2_models >= day1_models
    print(f"FIGURES disk tmpfs={TMPFS_SIZE} day1_models={day1_models} day2_models={day2_models}")


def test_unwritable_output_root_fails_cleanly(listings, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    out = blocker / "out"
    assert run(listings[DAY1], out, DAY1) == EXIT_FAILED
    said = capsys.readouterr()
    assert "Not a directory" in said.out + said.err
    assert blocker.read_text() == "not a directory\n"
    # Once the output root is usable again, the same command succeeds.
    out = tmp_path / "out"
    assert run(listings[DAY1], out, DAY1) == EXIT_OK
    assert latest_release_date(Layout(out)) == DAY1
