"""Progress on a terminal (issue 15, item 4): the demo's crawl shows its total and an ETA, each
stage prints its start, rows and time; with stderr not a terminal, or with --no-progress,
nothing but the summaries is printed. Run as a user would: the CLI in a subprocess, its stderr
a pseudo-terminal or a pipe."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

from pipeline.hub.crawl import CrawlProgress
from pipeline.progress import crawl_line, duration

REPO = Path(__file__).resolve().parents[1]
MODELS = 2500  # three listing pages of 1000: progress lines between pages carry an ETA


def _cli(args: list[str], *, tty: bool) -> tuple[str, str, int]:
    """Run `hub-census ARGS`; stderr is a pseudo-terminal when `tty`. Returns (out, err, rc)."""
    command = [sys.executable, "-m", "pipeline.cli", *args]
    if not tty:
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=300)
        return done.stdout, done.stderr, done.returncode
    master, slave = pty.openpty()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=slave, cwd=REPO)
    os.close(slave)
    err = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            err += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode()
    proc.wait(timeout=60)
    os.close(master)
    return out, err.decode(), proc.returncode


def test_demo_on_a_terminal_shows_crawl_total_eta_and_every_stage(tmp_path):
    out, err, rc = _cli(
        ["demo", "--days", "1", "--models", str(MODELS), "--out", str(tmp_path / "o")], tty=True
    )
    assert rc == 0, out + err
    # The simulated Hub sends X-Total-Count = the world's size: shares of it, and time left
    # while pages remain.
    assert f"1,000 / {MODELS:,} models (40%)" in err
    assert f"2,000 / {MODELS:,} models (80%)" in err
    assert re.search(r"40%\)  [\d,]+ models/s  ETA \d", err)
    # Each stage: a start line, then its rows (the world's size for per-model tables) and time.
    assert "  raw_models …" in err
    assert re.search(rf"raw_models +{MODELS:,} rows  \d+\.\ds\r\n", err)
    assert re.search(rf"models +{MODELS:,} rows  \d+\.\ds\r\n", err)
    assert re.search(rf"model_licenses +{MODELS:,} rows", err)
    assert re.search(r"release +[\d,]+ rows  \d+\.\ds\r\n", err)
    # The summary goes to stdout, as without a terminal.
    assert "ok: models 2,500" in out


def test_demo_without_a_terminal_prints_only_the_summaries(tmp_path):
    out, err, rc = _cli(
        ["demo", "--days", "1", "--models", "300", "--out", str(tmp_path)], tty=False
    )
    assert rc == 0, out + err
    assert "ok: models 300" in out
    assert "crawl:" not in out + err and "…" not in out + err and "\r" not in out + err


def test_no_progress_is_quiet_on_a_terminal(tmp_path):
    out, err, rc = _cli(
        ["demo", "--days", "1", "--models", "300", "--no-progress", "--out", str(tmp_path)],
        tty=True,
    )
    assert rc == 0, out + err
    assert "ok: models 300" in out
    assert "crawl:" not in err and "…" not in err


def test_crawl_line_estimates_the_time_left_from_the_rate_so_far():
    # 3,000 of 12,000 models in 10 s: 300 models/s, 9,000 left → 30 s.
    p = CrawlProgress(pages=3, models=3000, requests=3, retries=0, status_429=0, elapsed_s=10.0)
    assert crawl_line(p) == "crawl: pages 3  3,000 models  300 models/s"
    with_total = CrawlProgress(3, 3000, 3, 0, 0, 10.0, total=12_000)
    assert crawl_line(with_total) == (
        "crawl: pages 3  3,000 / 12,000 models (25%)  300 models/s  ETA 30.0s"
    )
    # Retries and 429s appear once there are any.
    busy = CrawlProgress(3, 3000, 5, 2, 1, 10.0, total=3000)
    assert crawl_line(busy).endswith("(100%)  300 models/s  retries 2  429s 1")
    assert duration(185) == "3m05s" and duration(7620) == "2h07m"
