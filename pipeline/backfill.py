"""`hub-census backfill`: import an archive of dated snapshots, oldest first.

Each dated file goes through the same `daily_census` job as `run --from-file`, in date order, so
that history compares each date with the previous one imported. A date that already has a release
is skipped (the backfill resumes where it stopped; a deleted release is built again from the raw
snapshot kept under `raw/`), unless `--replace`: then every date's files are read again and each
release that differs is replaced (after an upgrade that adds columns or changes the card, or a
corrected archive). A failed date stops the backfill: the dates after it would be compared with
the wrong previous snapshot. Days built before the imported dates (a census installed before its
archives) are built again once, at the end (pipeline.daily.refresh_stale_days).

Parquet dumps are replayed as they are (pipeline.hub.replay reads them through DuckDB);
`snapshot_sources` names each file and its sha256.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

import pipeline
from pipeline.daily import refresh_stale_days, stale_days
from pipeline.data_license import stated_license
from pipeline.paths import Layout
from pipeline.provenance import TABLE as SOURCES_TABLE
from pipeline.provenance import day_source, same_source_bytes, stated_coverage
from pipeline.release.manifest import MANIFEST_NAME, source_commit
from pipeline.sql import DEFAULT_MEMORY_LIMIT, engine
from pipeline.storage import previous_date

# JSON Lines, a JSON document (a saved `/api/models` array) and Parquet dumps
LISTING_SUFFIXES = (
    ".jsonl",
    ".jsonl.gz",
    ".jsonl.zst",
    ".json.gz",
    ".ndjson",
    ".json",
    ".parquet",
)
# The default date in a file name: 2022-02-21, 2022_02_21 or 20220221, not inside a longer number.
_DEFAULT_DATE = re.compile(r"(?<!\d)(\d{4})[-_]?(\d{2})[-_]?(\d{2})(?!\d)")


class BackfillError(ValueError):
    """The archive or the options cannot be used (exit 2)."""


@dataclass(frozen=True)
class DatedFile:
    """One date of an archive: its file, or its files when several are replayed as one, and
    their names relative to the archive (`2024-07-24/models.parquet` in a dated folder)."""

    day: date
    paths: tuple[Path, ...]
    labels: tuple[str, ...] = ()

    @property
    def shown(self) -> tuple[str, ...]:
        """How its files are named to the operator: relative to the archive, else by name."""
        return self.labels or tuple(p.name for p in self.paths)

    @property
    def names(self) -> str:
        return ", ".join(self.shown)


@dataclass
class BackfillSummary:
    built: list[date] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)
    models: int = 0
    quarantined: int = 0
    # days built before the imported dates, built again at the end
    refreshed: list[date] = field(default_factory=list)

    def text(self, coverage: str, counters: str | None = None) -> str:
        dates = sorted(self.built + self.skipped)
        span = f"{dates[0]} to {dates[-1]}" if dates else "no dates"
        lines = [
            f"backfill: {len(self.built)} date(s) built, {len(self.skipped)} skipped "
            f"(already released); {span}",
            f"  models {self.models:,}, quarantined {self.quarantined:,} (dates built)",
            f"  coverage {coverage} on every date built",
        ]
        if self.refreshed:
            lines.append(
                f"  built again: {_span(self.refreshed)} (built before the dates imported)"
            )
        if counters:
            lines.append(f"  {counters}")
        return "\n".join(lines)


def date_of(name: str, pattern: str | None) -> date | None:
    """The date a file name carries, or None when it carries none."""
    if pattern is None:
        found = _DEFAULT_DATE.search(name)
        if not found:
            return None
        try:
            return date(*map(int, found.groups()))
        except ValueError:
            return None
    if "%" in pattern:
        try:
            return datetime.strptime(name, pattern).date()
        except ValueError:
            return None
    found = re.search(pattern, name)
    if not found or "date" not in found.groupdict():
        return None
    return date_of(found.group("date"), None)


def _is_listing(path: Path) -> bool:
    return path.is_file() and path.name.endswith(LISTING_SUFFIXES)


def _files(source: Path) -> Iterator[tuple[Path, str | None]]:
    """The files a backfill looks at: `source` itself, or those of the folder and of its
    folders one level down, each with the name of the folder it sits in below `source` (None at
    the top). Sorted by their path relative to `source`."""
    if not source.is_dir():
        yield source, None
        return
    for entry in sorted(source.iterdir()):
        if entry.is_dir():
            yield from ((path, entry.name) for path in sorted(entry.iterdir()) if path.is_file())
        elif entry.is_file():
            yield entry, None


def _listings(source: Path, pattern: str | None) -> Iterator[tuple[Path, str, date | None]]:
    """Each listing of `source` with its name relative to it and the date it carries: from its
    own name, else, one folder down, from that folder's name (weekly mirrors of hub-stats keep
    `models/<YYYY-MM-DD>/models.parquet`). Sorted by that relative name."""
    for path, folder in _files(source):
        if not _is_listing(path):
            continue
        day = date_of(path.name, pattern)
        if folder is None:
            yield path, path.name, day
        else:
            yield path, f"{folder}/{path.name}", day or date_of(folder, pattern)


def discover(source: Path, pattern: str | None, *, combine: bool = False) -> list[DatedFile]:
    """The dated listings of `source` (a folder, or one file), oldest first. Two files of one
    date are refused unless `combine`: then they are that date's snapshot together, in name
    order (family trees scraped the same day); a date's copy in two formats would otherwise list
    every model twice."""
    if pattern is not None and "%" not in pattern:
        try:
            if "date" not in re.compile(pattern).groupindex:
                raise BackfillError(f"--pattern {pattern!r} has no group named `date`")
        except re.error as exc:
            raise BackfillError(
                f"--pattern {pattern!r} is not a regular expression: {exc}"
            ) from None
    if not source.exists():
        raise BackfillError(f"no such file or folder: {source}")
    found: dict[date, list[tuple[Path, str]]] = {}
    for path, label, day in _listings(source, pattern):
        if day is None:
            # said when the backfill starts (undated), never passed over in silence
            continue
        found.setdefault(day, []).append((path, label))
    if not found:
        raise BackfillError(
            f"no dated listing in {source} (JSON Lines or Parquet whose name, or whose folder's "
            "name, carries a date; use --pattern to say how)"
        )
    dated = [
        DatedFile(day, tuple(p for p, _ in items), tuple(label for _, label in items))
        for day, items in sorted(found.items())
    ]
    if not combine:
        one_file_a_date(dated)
    return dated


def one_file_a_date(files: list[DatedFile]) -> None:
    """Refuse a date that several files carry, saying how to import it."""
    for item in files:
        if len(item.paths) > 1:
            first, second = item.shown[:2]
            raise BackfillError(
                f"two files for {item.day}: {first} and {second}; pass --combine to replay a "
                "date's files together as its snapshot (trees scraped the same day), or "
                "--pattern to date only one of them"
            )


def undated(source: Path, pattern: str | None) -> list[str]:
    """The listings of `source` that carry no date (in their name or their folder's): not
    imported, and said so."""
    return [label for _, label, day in _listings(source, pattern) if day is None]


def not_listings(source: Path) -> list[str]:
    """The files of a folder (and of its folders, one level down) that no backfill reads (a
    README, a CSV): not imported, and said so. Hidden files are left out."""
    if not source.is_dir():
        return []
    return [
        path.relative_to(source).as_posix()
        for path, _ in _files(source)
        if not path.name.startswith(".") and not _is_listing(path)
    ]


def select(
    files: list[DatedFile], *, every: str, start: date | None, end: date | None
) -> list[DatedFile]:
    """Bound by `start`/`end` (inclusive), then thin: `week` keeps the first date and each date
    at least 7 days after the last one kept."""
    kept: list[DatedFile] = []
    for item in files:
        if (start and item.day < start) or (end and item.day > end):
            continue
        if every == "week" and kept and item.day - kept[-1].day < timedelta(days=7):
            continue
        kept.append(item)
    return kept


def is_released(layout: Layout, day: date) -> bool:
    return (layout.release(day) / MANIFEST_NAME).is_file()


def backfill(
    layout: Layout,
    files: list[DatedFile],
    *,
    coverage: str = "full_hub",
    subset_name: str | None = None,
    source_license: str | None = None,
    replace: bool = False,
    progress: bool = True,
    echo=print,
) -> tuple[int, BackfillSummary]:
    """Build each date not yet released (every date, with `replace`, each release that differs
    replaced), in order; return the exit code and what was done.

    However it ends, the catalog is then rebuilt once (each date's run leaves it out); a failed
    rebuild makes the exit code EXIT_FAILED only when the dates themselves succeeded."""
    from pipeline.cli import EXIT_OK

    summary = BackfillSummary()
    code = _build_dates(
        layout,
        files,
        summary,
        coverage=coverage,
        subset_name=subset_name,
        source_license=source_license,
        replace=replace,
        progress=progress,
        echo=echo,
    )
    catalog_code = rebuild_catalog_once(layout, summary.built + summary.refreshed, echo)
    return (catalog_code if code == EXIT_OK else code), summary


def _build_dates(
    layout: Layout,
    files: list[DatedFile],
    summary: BackfillSummary,
    *,
    coverage: str,
    subset_name: str | None,
    source_license: str | None,
    replace: bool,
    progress: bool,
    echo,
) -> int:
    """The dates of `backfill` and the refresh of later days, recorded in `summary`; the exit
    code."""
    from pipeline.cli import EXIT_FAILED, EXIT_OK, run_daily_job

    for n, item in enumerate(files, start=1):
        head = f"[{n}/{len(files)}] {item.day}"
        if not replace and is_released(layout, item.day):
            summary.skipped.append(item.day)
            echo(f"{head}: skipped (released)")
            continue
        started = time.monotonic()
        # The replay reads a Parquet dump as well as a listing, and names the file and its
        # sha256 in the raw manifest, which `snapshot_sources` publishes.
        resolved = [str(p.resolve()) for p in item.paths]
        hub = {
            "mode": "file",
            **({"from_file": resolved[0]} if len(resolved) == 1 else {"from_files": resolved}),
            "source_kind": "archive_import",
            "coverage": coverage,
            "subset_name": subset_name,
            "source_license": source_license,
        }
        # a file dated by its folder is named with it: `models.parquet` alone names no date
        if item.shown != tuple(p.name for p in item.paths):
            hub["source_name"] = item.names
        # Days already built after this date are built again once, at the end, not per date;
        # so is the catalog, whose rebuild grows with the releases it lists.
        outcome = run_daily_job(
            item.day,
            layout.root,
            hub,
            # the archive's files as they are now, not the snapshot read from them before
            force=replace,
            replace=replace,
            progress=progress,
            refresh_later_days=False,
            catalog=False,
        )
        seconds = time.monotonic() - started
        if outcome.exit_code != EXIT_OK:
            echo(f"{head}: {item.names}\n{outcome.summary()}")
            echo(f"backfill stopped at {item.day}; dates after it were not built")
            if stale := stale_days(layout):
                echo(
                    f"days built before the dates imported stay stale ({_span(stale)}): the next "
                    "run or backfill under this root builds them again"
                )
            return outcome.exit_code
        models = outcome.row_counts.get("models", 0)
        quarantined = outcome.row_counts.get("quarantine", 0)
        summary.built.append(item.day)
        summary.models += models
        summary.quarantined += quarantined
        echo(
            f"{head}: built from {item.names}: models {models:,}, quarantined "
            f"{quarantined:,}, {coverage}, {seconds:.1f}s{_stale_copy(layout, item.day)}"
        )
    try:
        summary.refreshed = refresh_later_days(layout, echo)
    except (duckdb.Error, OSError, ValueError, RuntimeError) as exc:
        # Each table is replaced whole and a day's basis is recorded only once its step is
        # built, so a day that failed here stays stale and is built again by the next run.
        echo(f"building the later days again failed: {exc}")
        echo("they stay stale: the next run or backfill under this root builds them again")
        return EXIT_FAILED
    return EXIT_OK


def rebuild_catalog_once(layout: Layout, days: list[date], echo) -> int:
    """Rebuild the catalog after the dates a backfill built or built again (each date's run leaves
    it out), and record it in the Dagster instance as the `catalog` of each of them; the exit code
    (EXIT_FAILED when the releases are published but the catalog could not be rebuilt).

    Rebuilt even when no date was built: a backfill whose rebuild failed left the catalog behind
    its releases, and the next one, with every date skipped, brings it up to date."""
    from pipeline.cli import EXIT_FAILED, EXIT_OK, report_catalog
    from pipeline.release.catalog import refresh_catalog

    try:
        path = refresh_catalog(layout)
    except (duckdb.Error, OSError) as exc:
        echo(
            f"the releases are published, but catalog.duckdb could not be rebuilt (queries still "
            f"see the previous catalog; the next run or backfill rebuilds it): {exc}"
        )
        return EXIT_FAILED
    report_catalog(sorted(set(days)), path)
    return EXIT_OK


def refresh_later_days(layout: Layout, echo) -> list[date]:
    """Build again, once, the days that were built before the dates just imported (each read an
    older snapshot as the day before it), and republish their releases."""
    from pipeline.cli import report_rebuilt_days

    if not stale_days(layout):
        return []
    with engine(layout, memory_limit=DEFAULT_MEMORY_LIMIT) as conn:
        refresh = refresh_stale_days(
            layout,
            conn,
            pipeline_version=pipeline.__version__,
            source_commit=source_commit(),
            say=echo,
        )
    report_rebuilt_days(
        refresh.rebuilt, refresh.republished, {"built_again_by": "hub-census backfill"}
    )
    if refresh.left_stale:
        echo(
            f"left stale ({_span(refresh.left_stale)}): a run holds {refresh.left_stale[0]}; "
            "that run, or the next one under this root, builds them again"
        )
    return refresh.rebuilt


def _stale_copy(layout: Layout, day: date) -> str:
    """A note when the date's source is, byte for byte, the one of the date before it: an
    archive that copied a stale snapshot (its changes are then marked not comparable)."""
    earlier = previous_date(layout, SOURCES_TABLE, day)
    if earlier is None or not same_source_bytes(
        day_source(layout, day), day_source(layout, earlier)
    ):
        return ""
    return f"; the same file, byte for byte, as {earlier}'s (a stale copy?): not comparable"


def _span(days: list[date]) -> str:
    return str(days[0]) if len(days) == 1 else f"{len(days)} days, {days[0]} to {days[-1]}"


def main_backfill(args: argparse.Namespace, root: Path) -> int:
    """The CLI command: exit codes as `run` (see pipeline/cli.py)."""
    from pipeline.cli import EXIT_OK, EXIT_USAGE, date_problem, utc_today
    from pipeline.counters import CounterFileError, fold_counters
    from pipeline.release.catalog import refresh_catalog

    if args.source is None and args.counters is None:
        print("error: give a SOURCE folder of snapshots, --counters FILE, or both", file=sys.stderr)
        return EXIT_USAGE
    layout = Layout(root)
    code, summary = EXIT_OK, BackfillSummary()
    if args.source is not None:
        try:
            stated = stated_coverage(args.coverage, args.subset) | stated_license(
                args.source_license
            )
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        try:
            # only the dates imported must have one file each (or --combine)
            files = select(
                discover(args.source, args.pattern, combine=True),
                every=args.every,
                start=args.start,
                end=args.end,
            )
            if not args.combine:
                one_file_a_date(files)
        except BackfillError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if left_out := undated(args.source, args.pattern):
            names = ", ".join(left_out)
            print(
                f"not imported, no date in the name (see --pattern): {names}",
                file=sys.stderr,
            )
        if left_out := not_listings(args.source):
            names = ", ".join(left_out)
            print(
                f"not imported, not JSON Lines, a .json document or Parquet: {names}",
                file=sys.stderr,
            )
        today = utc_today()
        for item in files:
            if problem := date_problem(item.day, today, live=False):
                print(f"error: {item.names}: {problem}", file=sys.stderr)
                return EXIT_USAGE
        code, summary = backfill(
            layout, files, **stated, replace=args.replace, progress=not args.no_progress
        )
    counters_line = None
    if args.counters is not None and code == EXIT_OK:
        try:
            folded = fold_counters(layout, args.counters)
        except CounterFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        # the catalog's `counter_series` view, now rather than at the next publish
        refresh_catalog(layout)
        counters_line = (
            f"counter_series: {folded.observed:,} observations of {folded.models:,} models, "
            f"{folded.gap_days:,} gap days marked ({folded.path})"
        )
    if args.source is not None:
        print(summary.text(stated["coverage"], counters_line))
    elif counters_line:
        # only counters were folded: no dates were in question, so no line about them
        print(counters_line)
    return code
