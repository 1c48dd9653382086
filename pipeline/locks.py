"""One run per snapshot date per output root.

Two runs for the same day writing the same root at once would crawl into one raw directory and
replace each other's partitions. The daily run holds an exclusive `flock` on
`<root>/locks/<date>.lock` for its whole length; a second run for that day finds it taken and stops
at once with a message naming the day and the holder. The kernel drops the lock when its holder
exits, however it exits (SIGKILL included), so a stale lock file never blocks the next run.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from pipeline.paths import Layout

LOCKS_DIR = "locks"


class DateBusyError(RuntimeError):
    """Another process holds the run lock of this snapshot date under this output root."""


def lock_path(layout: Layout, snapshot_date: date) -> Path:
    return layout.root / LOCKS_DIR / f"{snapshot_date.isoformat()}.lock"


@contextmanager
def date_lock(layout: Layout, snapshot_date: date) -> Iterator[Path]:
    """Hold the exclusive run lock of `snapshot_date` under `layout.root`, or raise DateBusyError.

    Not reentrant across file descriptors: a process that already holds the lock and asks again
    (the CLI's run around the Dagster asset's) is recognised by the pid in the file and let
    through, so one process can nest it.
    """
    path = lock_path(layout, snapshot_date)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            if holder == os.getpid():
                yield path
                return
            who = f"process {holder}" if holder else "another process"
            raise DateBusyError(
                f"another run for {snapshot_date.isoformat()} is in progress under "
                f"{layout.root} ({who} holds {path}); wait for it to finish, then rerun the "
                "same command: a completed day is reused, an interrupted one resumes"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            # Emptied before release so a later reader never names a finished process as holder.
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None
