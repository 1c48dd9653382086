"""One run per snapshot date per output root.

Two runs for the same day writing the same root at once would crawl into one raw directory and
replace each other's partitions. The daily run holds an exclusive `flock` on
`<root>/locks/<date>.lock` for its whole length; a second run for that day finds it taken and stops
at once with a message naming the day and the holder. The kernel drops the lock when its holder
exits, however it exits (SIGKILL included), so a stale lock file never blocks the next run.

A day's history is built against the previous snapshot, so a run must not build it while an
earlier date is still being built under the same root: `wait_for_earlier_runs` waits (bounded)
until no earlier date's lock is held, then the history stage goes on (docs/HISTORY.md).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from pipeline.paths import Layout

LOCKS_DIR = "locks"
# How long a run waits for an earlier date's run before giving up (seconds); a whole-Hub day takes
# minutes to build, so an hour only expires when the earlier run is stuck.
WAIT_ENV = "HUB_CENSUS_EARLIER_RUN_WAIT"
DEFAULT_WAIT_S = 3600.0
EARLIER_BUSY_PREFIX = "an earlier date is still being built"


class DateBusyError(RuntimeError):
    """Another process holds the run lock of this snapshot date under this output root."""


class EarlierDateBusyError(DateBusyError):
    """An earlier date's run kept its lock for longer than this run would wait."""


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


def earlier_runs(layout: Layout, snapshot_date: date) -> dict[date, int]:
    """Earlier dates whose run lock another live process holds, with its pid.

    Read from the pid a holder writes into its lock file (emptied on release) rather than by
    trying the lock: a probe would itself hold the lock for an instant, and a run starting in that
    instant would be turned away as busy. A holder killed without cleanup leaves its pid, which
    `process_alive` no longer finds.
    """
    busy = {}
    for path in (layout.root / LOCKS_DIR).glob("*.lock"):
        try:
            day = date.fromisoformat(path.stem)
            text = path.read_text(encoding="ascii", errors="replace").strip()
        except (ValueError, OSError):
            continue
        if day < snapshot_date and text.isdigit():
            pid = int(text)
            if pid != os.getpid() and process_alive(pid):
                busy[day] = pid
    return dict(sorted(busy.items()))


def wait_for_earlier_runs(
    layout: Layout,
    snapshot_date: date,
    say: Callable[[str], None],
    *,
    timeout_s: float | None = None,
    poll_s: float = 1.0,
) -> float:
    """Return once no earlier date is being built under the root (the seconds waited), or raise
    EarlierDateBusyError after `timeout_s` (default: $HUB_CENSUS_EARLIER_RUN_WAIT or an hour)."""
    if timeout_s is None:
        timeout_s = float(os.environ.get(WAIT_ENV, DEFAULT_WAIT_S))
    started = time.monotonic()
    announced = False
    while busy := earlier_runs(layout, snapshot_date):
        shown = ", ".join(f"{d} (process {pid})" for d, pid in busy.items())
        waited = time.monotonic() - started
        if waited >= timeout_s:
            raise EarlierDateBusyError(
                f"{EARLIER_BUSY_PREFIX} under {layout.root}: {shown}; the history of "
                f"{snapshot_date} depends on it, so this run stopped after waiting "
                f"{waited:.0f}s; rerun when that run has finished"
            )
        if not announced:
            say(
                f"waiting up to {timeout_s:.0f}s for the run of {shown}: the history of "
                f"{snapshot_date} is built against the snapshot before it"
            )
            announced = True
        time.sleep(poll_s)
    return time.monotonic() - started


def process_alive(pid: int) -> bool:
    """Whether `pid` is a live process on this machine (someone else's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


PUBLISH_LOCK = ".publish.lock"


@contextmanager
def publish_lock(layout: Layout) -> Iterator[None]:
    """Serialise what changes `releases/` and the catalog: a publish, and a catalog rebuild,
    each read the releases as a whole and must not interleave."""
    releases = layout.releases()
    releases.mkdir(parents=True, exist_ok=True)
    with (releases / PUBLISH_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
