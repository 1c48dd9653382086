"""SIGKILL during `hub-census report` never leaves a partial report (issue 13, item 9): after
every kill, `<out>/report/` is a complete report (every file `index.html` links exists and is
whole) or, before the first one finished, absent. Before the fix, kills left 0-byte PNGs that
the page linked; the report is now a site of pages, a search index and assets, checked the same
way."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from pipeline.history import backfill_history
from pipeline.paths import Layout
from tests.history.conftest import World, write_models

REPO = Path(__file__).resolve().parents[2]


def _series(root: Path) -> Layout:
    layout = Layout(root)
    world = World(seed=5, start=date(2025, 5, 1), n_models=120)
    for offset in range(3):
        if offset:
            world.step()
        write_models(layout, world.day, world.rows())
    backfill_history(layout)
    return layout


def _report(root: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "report", "--out", str(root)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _problems(report: Path) -> list[str]:
    """Why `report` is not a complete site (empty when it is): every page whole, every local
    file a page links present, every linked page whole, the search index whole."""
    page = report / "index.html"
    if not page.is_file():
        return ["no index.html"]
    text = page.read_text(encoding="utf-8")
    if not text.rstrip().endswith("</html>"):
        return ["index.html is cut short"]
    problems = []
    linked = {
        link.split("#")[0]
        for link in re.findall(r'(?:src|href)="([^"#][^"]*)"', text)
        if not link.startswith("../")  # the releases, outside the site
    }
    if not {"site.css", "search.js", "search-index.js"} <= linked:
        problems.append(f"index.html links {sorted(linked)}")
    if not any(name.startswith("families/") for name in linked):
        problems.append("index.html links no family page")
    for name in sorted(linked):
        path = report / name
        data = path.read_text(encoding="utf-8") if path.is_file() else ""
        if not data:
            problems.append(f"{name}: missing or empty")
        else:
            ending = {".html": "</html>", ".js": ";", ".css": "}"}[path.suffix]
            if not data.rstrip().endswith(ending):
                problems.append(f"{name}: cut short")
    return problems


def _trials(tmp_path: Path, kills: int) -> None:
    layout = _series(tmp_path / "out")
    report = layout.root / "report"
    started = time.monotonic()
    assert _report(layout.root).wait(timeout=300) == 0
    duration = time.monotonic() - started
    assert _problems(report) == []
    rng = random.Random(13)
    landed = 0
    for _ in range(kills):
        proc = _report(layout.root)
        # Python's start-up is most of the duration; the delays reach past it into the drawing.
        time.sleep(rng.uniform(0.3, 1.0) * duration)
        if proc.poll() is None:
            landed += 1
        # a run that already finished was reaped by poll(): send_signal then sends nothing
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        assert _problems(report) == [], "a kill left a partial report"
    print(f"FIGURES report kills: {kills} trials, {landed} killed while running")
    # The next run completes and sweeps what the killed runs left behind.
    assert _report(layout.root).wait(timeout=300) == 0
    assert _problems(report) == []
    assert report.is_symlink()
    leftovers = [p.name for p in layout.root.iterdir() if p.name.startswith(".report")]
    assert leftovers == [report.resolve().name]


def test_kills_during_report_leave_a_whole_report(tmp_path):
    _trials(tmp_path, kills=3)


@pytest.mark.slow
def test_kills_during_report_leave_a_whole_report_many_trials(tmp_path):
    _trials(tmp_path, kills=12)
