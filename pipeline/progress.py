"""Progress on a terminal: the crawl's line (with total and ETA when the Hub reports a total) and
one line per stage of the daily job (its start, then its rows and time).

Everything here writes to a terminal only: the callers decide with `on_terminal`, so a log file,
a pipe or a cron mail gets the one-line summaries and nothing else.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

# Carriage return, then erase to the end of the line: a line rewritten in place.
REWRITE = "\r\x1b[K"


def on_terminal(wanted: bool, stream: TextIO | None = None) -> bool:
    """True when progress is wanted and the stream (default stderr) is a terminal."""
    stream = stream or sys.stderr
    return wanted and stream.isatty()


def duration(seconds: float) -> str:
    """`4.2s`, `3m05s`, `2h07m`: short enough for a progress line."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def crawl_line(p) -> str:
    """One crawl (or replay) progress line from a `CrawlProgress`.

    With the Hub's own count (X-Total-Count) the line shows the share done and an estimate of
    the time left from the rate so far; without it, the count and the rate.
    """
    rate = p.models / p.elapsed_s if p.elapsed_s else 0.0
    done = f"{p.models:,}"
    eta = ""
    if p.total:
        done += f" / {p.total:,} models ({min(p.models / p.total, 1.0):.0%})"
        if rate and p.models < p.total:
            eta = f"  ETA {duration((p.total - p.models) / rate)}"
    else:
        done += " models"
    line = f"crawl: pages {p.pages:,}  {done}  {rate:,.0f} models/s{eta}"
    if p.retries or p.status_429:
        line += f"  retries {p.retries:,}  429s {p.status_429:,}"
    return line


class StageLines:
    """One line per stage on a terminal: `name …` while it runs, then its rows and time."""

    def __init__(self, stream: TextIO | None = None, clock=time.monotonic) -> None:
        self.stream = stream or sys.stderr
        self.clock = clock
        self.started: dict[str, float] = {}
        self.rows: dict[str, dict[str, int]] = {}

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def start(self, step: str) -> None:
        self.started[step] = self.clock()
        self.rows[step] = {}
        self._write(f"{REWRITE}  {step} …")

    def rows_of(self, step: str, table: str, rows: int) -> None:
        self.rows.setdefault(step, {})[table] = rows

    def end(self, step: str, *, ok: bool) -> None:
        seconds = self.clock() - self.started.pop(step, self.clock())
        tables = self.rows.pop(step, {})
        if len(tables) == 1 and step in tables:
            what = _rows(tables[step])
        else:
            what = ", ".join(f"{t} {_rows(n)}" for t, n in tables.items())
        status = "" if ok else "FAILED  "
        self._write(
            f"{REWRITE}  {step:<24} {status}{what}{'  ' if what else ''}{duration(seconds)}\n"
        )


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")
