"""`hub-census`: run the daily census, try it offline on the simulated Hub, query the releases.

Exit codes a script can rely on:
  0  success
  1  the pipeline failed (the message says which step and why; nothing bad was published)
  2  bad usage or bad input (unknown option, unreadable file, invalid date, a date before
     2020-01-01 or after today, a crawl of a past date, --accept-gate without --reason
     or naming a gate that cannot be accepted)
  3  a release gate stopped the day's release (the previous release stays latest)
  4  another run for the same date and output root is in progress (nothing was touched), or
     an earlier date's run kept running longer than this run waits for it (nothing published)
  130 interrupted
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from pipeline.clock import utc_today
from pipeline.locks import EARLIER_BUSY_PREFIX
from pipeline.paths import Layout, default_root

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_GATED = 3
EXIT_BUSY = 4
EXIT_INTERRUPTED = 130
# 128 + SIGPIPE: what a shell reports for a tool stopped because its reader went away
EXIT_BROKEN_PIPE = 141
LOG_LEVEL_ENV = "HUB_CENSUS_LOG_LEVEL"
# The tables a one-line summary names; every table's count is in the Dagster metadata.
SUMMARY_TABLES = ("models", "quarantine", "lineage_edges", "model_changes", "release")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def _param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"not NAME=VALUE: {text!r}")
    return name, value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0:  # NaN too
        raise argparse.ArgumentTypeError(f"must be at least 0: {text}")
    return value


def _rate(text: str) -> float:
    value = _non_negative(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"a probability is at most 1: {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hub-census",
        description="A daily, versioned census of the open model ecosystem on the Hugging Face Hub",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def out_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--out",
            type=Path,
            default=None,
            help="output root (default: $HUB_CENSUS_ROOT or ./datasets)",
        )

    def coverage_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--coverage",
            choices=("full_hub", "subset"),
            default="full_hub",
            help="how much of the Hub the source holds, recorded in snapshot_sources: say "
            "`subset` for one family tree or organisation (default full_hub)",
        )
        p.add_argument(
            "--subset",
            metavar="NAME",
            default=None,
            help="a subset, named (implies --coverage subset): subset days are compared with "
            "the day before only when both name the same subset (one tree imported week after "
            "week); recorded in snapshot_sources",
        )
        p.add_argument(
            "--source-license",
            metavar="ID",
            default=None,
            help="the licence the source's data comes under, as an SPDX id (odbl-1.0 for the "
            "weekly mirror of the hub-stats dump); recorded in snapshot_sources, and a "
            "share-alike one (odbl-1.0) becomes the licence of every release built from it",
        )

    demo = sub.add_parser(
        "demo",
        help="run the daily pipeline offline against a simulated Hub on loopback",
        description=(
            "Start a simulated Hub on 127.0.0.1 and run the daily job for N consecutive simulated "
            "days through the real huggingface_hub client over HTTP."
        ),
    )
    demo.add_argument("--days", type=_positive, default=3, help="simulated days (default 3)")
    demo.add_argument(
        "--models", type=_positive, default=5000, help="models on the first day (default 5000)"
    )
    demo.add_argument("--seed", type=int, default=0, help="the simulated world's seed")
    demo.add_argument(
        "--replace",
        action="store_true",
        help="crawl each day again and replace its release when it differs: an output root "
        "holding a demo of another world (seed, models) is refused without it",
    )
    demo.add_argument(
        "--no-progress", action="store_true", help="no progress lines, even on a terminal"
    )
    out_option(demo)

    run = sub.add_parser("run", help="run the daily pipeline for one day")
    run.add_argument(
        "--date",
        type=_date,
        default=None,
        help="snapshot date (default: today, UTC; a live crawl only accepts today)",
    )
    source = run.add_mutually_exclusive_group()
    source.add_argument(
        "--endpoint",
        default=None,
        help="Hub endpoint (default: $HF_ENDPOINT or https://huggingface.co)",
    )
    source.add_argument(
        "--from-file",
        type=Path,
        default=None,
        help="replay a recording instead of crawling: JSON Lines (plain, .gz or .zst), a JSON "
        "document (a saved /api/models array, .json), a folder of API responses (*.json) or a "
        "Parquet dump",
    )
    run.add_argument("--force", action="store_true", help="crawl again even if the day is complete")
    run.add_argument(
        "--replace",
        action="store_true",
        help="replace the day's release when the one built now differs (after an upgrade, say); "
        "the old one moves to releases/.replaced/. Without it a different release is refused",
    )
    coverage_option(run)
    run.add_argument(
        "--max-pages",
        type=_positive,
        default=None,
        help=(
            "stop a crawl that takes more listing pages than this (default: twice the pages of "
            "the previous snapshot plus 10; no bound for a first snapshot)"
        ),
    )
    run.add_argument(
        "--no-progress", action="store_true", help="no progress line, even on a terminal"
    )
    run.add_argument(
        "--accept-gate",
        action="append",
        default=[],
        metavar="NAME",
        help="release the day although this steady gate stops it, after review (repeatable; "
        "needs --reason; recorded in the manifest and on the dataset card)",
    )
    run.add_argument("--reason", default=None, help="why the accepted gate(s) may be released")
    out_option(run)

    backfill = sub.add_parser(
        "backfill",
        help="import an archive of dated snapshots, oldest first, one release per date",
        description=(
            "Build every dated file of SOURCE (a folder of listings in JSON Lines, plain, .gz or "
            ".zst, or Parquet dumps, each dated by its name or by its folder's one level down; or "
            "one such file) through the daily job, oldest first, so "
            "that history compares each date with the previous one imported. Dates that already "
            "have a release are skipped, so an interrupted backfill resumes where it stopped. Days "
            "already built after the imported dates are built again once, at the end, and "
            "republished."
        ),
    )
    backfill.add_argument("source", type=Path, nargs="?", help="folder (or file) of snapshots")
    backfill.add_argument(
        "--pattern",
        default=None,
        help="how a file name gives its date: a strptime format matching the whole name "
        "(models-%%Y%%m%%d.parquet) or a regex with a group named `date` (default: the first "
        "YYYY-MM-DD or YYYYMMDD in the name)",
    )
    backfill.add_argument(
        "--combine",
        action="store_true",
        help="replay the files that carry one date together, as that date's snapshot (family "
        "trees scraped the same day); without it, two files of one date are refused",
    )
    backfill.add_argument(
        "--every",
        choices=("day", "week"),
        default="day",
        help="`week` keeps the first date and then each date at least 7 days after the last kept",
    )
    backfill.add_argument("--from", dest="start", type=_date, default=None, help="first date")
    backfill.add_argument("--to", dest="end", type=_date, default=None, help="last date")
    backfill.add_argument(
        "--counters",
        type=Path,
        default=None,
        help="also fold a community counter file (CSV or Parquet: model_id, date, downloads, "
        "likes; see README) into history/counter_series",
    )
    backfill.add_argument(
        "--replace",
        action="store_true",
        help="read every date's files again, those with a release too, and replace each "
        "release that differs (after an upgrade or a corrected archive; the old ones move to "
        "releases/.replaced/). An interrupted one starts over: resume it with --from",
    )
    backfill.add_argument(
        "--no-progress", action="store_true", help="no progress line, even on a terminal"
    )
    coverage_option(backfill)
    out_option(backfill)

    sim = sub.add_parser("simulate", help="the simulated Hub on its own")
    sim_sub = sim.add_subparsers(dest="sim_command", required=True)
    serve = sim_sub.add_parser("serve", help="serve the simulated Hub's HTTP API on loopback")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--models", type=_positive, default=10_000)
    serve.add_argument("--seed", type=int, default=0)
    serve.add_argument("--date", type=_date, default=None, help="simulated day (default today)")
    serve.add_argument(
        "--era",
        choices=("2022", "2024", "2026"),
        default="2026",
        help="record shape (default 2026)",
    )
    faults = serve.add_argument_group(
        "faults",
        "probability per listing or model request of each fault (all 0 by default; their sum "
        "must not exceed 1), drawn from a generator seeded by --fault-seed",
    )
    for kind, what in (
        ("429", "HTTP 429 with Retry-After and RateLimit headers"),
        ("5xx", "HTTP 500, 502, 503 or 504"),
        ("slow", "a page sent after --slow-seconds"),
        ("truncate", "a body cut short"),
        ("drop", "the connection closed without an answer"),
    ):
        faults.add_argument(
            f"--rate-{kind}", type=_rate, default=0.0, metavar="P", help=f"{what} (0 to 1)"
        )
    faults.add_argument("--slow-seconds", type=_non_negative, default=0.2, metavar="S")
    faults.add_argument(
        "--retry-after", type=int, default=2, metavar="S", help="what a 429 asks to wait"
    )
    faults.add_argument("--fault-seed", type=int, default=0)
    export = sim_sub.add_parser("export", help="write one simulated day's listing as JSON Lines")
    export.add_argument("--models", type=_positive, required=True)
    export.add_argument("--date", type=_date, default=None, help="simulated day (default today)")
    export.add_argument(
        "--start",
        type=_date,
        default=None,
        help="the day the world starts (default --date): a later --date is the same world days on",
    )
    export.add_argument("--seed", type=int, default=0)
    export.add_argument(
        "--era",
        choices=("2022", "2024", "2026"),
        default="2026",
        help="record shape (default 2026)",
    )
    export.add_argument(
        "--out", type=Path, required=True, help="file to write (.gz or .zst to compress)"
    )

    query = sub.add_parser("query", help="run SQL against the published releases")
    query.add_argument("sql", help="a SQL query; tables: models, lineage_edges, …")
    query.add_argument(
        "--release",
        type=_date,
        default=None,
        help="query the release of this date (default: the latest)",
    )
    query.add_argument(
        "--param",
        action="append",
        type=_param,
        default=[],
        metavar="NAME=VALUE",
        help="bind VALUE to the query's $NAME (repeatable)",
    )
    fmt = query.add_mutually_exclusive_group()
    fmt.add_argument("--csv", type=Path, default=None, help="write the result as CSV")
    fmt.add_argument("--parquet", type=Path, default=None, help="write the result as Parquet")
    out_option(query)

    tree = sub.add_parser(
        "tree",
        help="print a model's family: ancestors and descendants with relation and license",
    )
    tree.add_argument("model", help="model id, org/name")
    tree.add_argument(
        "--depth", type=_positive, default=3, help="steps up and down to show (default 3)"
    )
    tree.add_argument(
        "--release", type=_date, default=None, help="the release of this date (default: latest)"
    )
    out_option(tree)

    publish = sub.add_parser(
        "publish",
        help="copy a release to a Hugging Face dataset repo or to S3-compatible object storage",
    )
    publish.add_argument(
        "--to", required=True, help="hf://datasets/OWNER/NAME or s3://BUCKET/PREFIX"
    )
    publish.add_argument("--release", default="latest", help="a release date, or latest")
    publish.add_argument(
        "--allow-simulated",
        action="store_true",
        help="publish a release built from the simulated Hub (refused otherwise)",
    )
    publish.add_argument(
        "--s3-endpoint", default=None, help="S3-compatible endpoint (default: $AWS_ENDPOINT_URL)"
    )
    out_option(publish)

    report = sub.add_parser(
        "report",
        help="write the explorer, a static site of the ecosystem (under <out>/report/)",
    )
    out_option(report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = _dispatch(args)
        # flushed here, so that a reader gone away is met below rather than at exit
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of stdout went away (`hub-census tree ... | head`): stop quietly, as other
        # command-line tools do. Python would otherwise report the error again when it flushes
        # stdout at exit, so stdout is pointed at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        return demo(
            args.days,
            args.models,
            args.seed,
            args.out or default_root(),
            replace=args.replace,
            progress=not args.no_progress,
        )
    if args.command == "run":
        return run(
            args.date,
            args.out or default_root(),
            endpoint=args.endpoint,
            from_file=args.from_file,
            force=args.force,
            replace=args.replace,
            progress=not args.no_progress,
            accept_gates=args.accept_gate,
            reason=args.reason,
            coverage=args.coverage,
            subset_name=args.subset,
            source_license=args.source_license,
            max_pages=args.max_pages,
        )
    if args.command == "backfill":
        from pipeline.backfill import main_backfill

        return main_backfill(args, args.out or default_root())
    if args.command == "simulate":
        if args.sim_command == "serve":
            from pipeline.simulator.faults import FaultConfig
            from pipeline.simulator.server import main_serve

            try:
                faults = FaultConfig(
                    rate_429=args.rate_429,
                    rate_5xx=args.rate_5xx,
                    rate_slow=args.rate_slow,
                    slow_seconds=args.slow_seconds,
                    rate_truncate=args.rate_truncate,
                    rate_drop=args.rate_drop,
                    seed=args.fault_seed,
                    retry_after_seconds=args.retry_after,
                )
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return EXIT_USAGE
            main_serve(
                port=args.port,
                models=args.models,
                seed=args.seed,
                day=args.date or utc_today(),
                era=args.era,
                faults=faults,
            )
            return EXIT_OK
        from pipeline.simulator.export import main_export

        day = args.date or utc_today()
        if args.start is not None and args.start > day:
            print(f"error: --start {args.start} is after --date {day}", file=sys.stderr)
            return EXIT_USAGE
        main_export(
            models=args.models,
            day=day,
            out=args.out,
            seed=args.seed,
            era=args.era,
            start=args.start,
        )
        return EXIT_OK
    if args.command == "query":
        from pipeline.release.catalog import main_query

        return main_query(
            args.out or default_root(),
            args.sql,
            csv=args.csv,
            parquet=args.parquet,
            release=args.release,
            params=dict(args.param),
        )
    if args.command == "tree":
        from pipeline.release.tree import main_tree

        return main_tree(args.out or default_root(), args.model, args.depth, args.release)
    if args.command == "publish":
        from pipeline.release.remote import main_publish

        return main_publish(
            args.out or default_root(),
            args.to,
            args.release,
            args.allow_simulated,
            args.s3_endpoint,
        )
    if args.command == "report":
        from pipeline.report import main_report

        return main_report(args.out or default_root(), None)
    raise AssertionError(f"unhandled command {args.command}")


def run(
    day: date | None,
    out: Path,
    *,
    endpoint: str | None = None,
    from_file: Path | None = None,
    force: bool = False,
    replace: bool = False,
    progress: bool = True,
    accept_gates: list[str] | None = None,
    reason: str | None = None,
    coverage: str = "full_hub",
    subset_name: str | None = None,
    source_license: str | None = None,
    max_pages: int | None = None,
) -> int:
    from pipeline.data_license import stated_license
    from pipeline.gates import GateAcceptanceError, validate_acceptance
    from pipeline.provenance import stated_coverage

    try:
        stated = stated_coverage(coverage, subset_name) | stated_license(source_license)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if from_file is not None and not from_file.exists():
        print(f"error: no such file: {from_file}", file=sys.stderr)
        return EXIT_USAGE
    # the clock is read once: a run started at midnight UTC checks the date it defaulted to
    today = utc_today()
    day = today if day is None else day
    if problem := date_problem(day, today, live=from_file is None):
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        validate_acceptance(accept_gates or [], reason)
    except GateAcceptanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if from_file is None:
        from huggingface_hub import constants

        from pipeline.hub.crawl import EndpointError, check_endpoint

        # Before any run exists: Dagster stores a run's configuration, endpoint included.
        try:
            check_endpoint((endpoint or constants.ENDPOINT).rstrip("/"))
        except EndpointError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    hub: dict = dict(stated)
    if max_pages is not None:
        hub["max_pages"] = max_pages
    if from_file is not None:
        hub |= {"mode": "file", "from_file": str(from_file.resolve())}
    elif endpoint is not None:
        hub |= {"mode": "api", "endpoint": endpoint}
    review = {"accept": accept_gates or [], "reason": reason}
    outcome = run_daily_job(
        day, out, hub, force=force, replace=replace, gate_review=review, progress=progress
    )
    print(outcome.summary())
    return outcome.exit_code


def date_problem(day: date, today: date, *, live: bool) -> str | None:
    """Why `day` cannot be a snapshot date on `today` (UTC), in one line (None when it can)."""
    from pipeline.provenance import FIRST_SNAPSHOT_DATE

    if not FIRST_SNAPSHOT_DATE <= day <= today:
        return (
            f"{day} is outside the snapshot dates hub-census keeps "
            f"({FIRST_SNAPSHOT_DATE} to today, {today})"
        )
    if live and day != today:
        return (
            f"a crawl shows the Hub as it is today ({today}), not on {day}: "
            f"replay a recording of {day} with --from-file FILE"
        )
    return None


def demo(
    days: int, models: int, seed: int, out: Path, *, replace: bool = False, progress: bool = True
) -> int:
    from pipeline.simulator.server import SimulatedHub
    from pipeline.simulator.world import World, WorldConfig

    # Simulated days end today so that every partition key is one the schedule could have made.
    first = utc_today() - timedelta(days=days - 1)
    print(f"hub-census demo: {days} simulated day(s) from {first}, {models:,} models, seed {seed}")
    world = World(WorldConfig(seed=seed, start_date=first, n_models=models))
    started = time.monotonic()
    with SimulatedHub(world.state(first)) as hub:
        print(f"simulated Hub listening on {hub.url}")
        for offset in range(days):
            day = first + timedelta(days=offset)
            hub.set_state(world.state(day))
            hub_config = {
                "mode": "api",
                "endpoint": hub.url,
                "world": world.config.name,
                "source_kind": "simulated",
            }
            # A rerun into a root built before makes each later demo day stale as soon as the
            # day before it is built again; their own runs come next, so only the last day
            # refreshes the days after it (else day k is built k times).
            outcome = run_daily_job(
                day,
                out,
                hub_config,
                force=replace,
                replace=replace,
                progress=progress,
                refresh_later_days=offset == days - 1,
            )
            print(outcome.summary())
            if outcome.exit_code != EXIT_OK:
                return outcome.exit_code
    layout = Layout(out)
    print(
        f"done in {time.monotonic() - started:.1f}s: {days} day(s) under {out.resolve()}\n"
        f"  raw snapshots   {layout.root / 'raw' / 'models'}\n"
        f"  tables          {layout.root / 'warehouse'}\n"
        f"  releases        {layout.releases()}\n"
        # quoted, so that the commands can be pasted whatever characters the path holds
        f"next: uv run hub-census query --out {shlex.quote(str(out))} "
        '"select family, count(*) as models from models group by all order by 2 desc limit 10"\n'
        f"      uv run hub-census report --out {shlex.quote(str(out))}"
    )
    if home := os.environ.get("DAGSTER_HOME"):
        print(f"dagster: the runs are in the instance at {home} (`uv run dagster dev` shows them)")
    else:
        print("dagster: set DAGSTER_HOME to keep the runs for the Dagster UI (see README)")
    return EXIT_OK


class JobOutcome:
    """What one run of the daily job did, in the terms a CLI user needs."""

    def __init__(
        self, day: date, result, *, busy: str | None = None, error: str | None = None
    ) -> None:
        self.day = day
        self.result = result
        # Set when the job never started (`result` is None): another run held the day's lock, or
        # the lock could not be taken at all.
        self.busy = busy
        self.failures = [("run_lock", error)] if error else []
        # A recording that is not a listing (empty, truncated, binary, a JSON array) is bad
        # input, not a failed run: exit 2 with the one line that says why.
        self.input_error: str | None = None
        if result is not None:
            self.failures = _failures(result)
            # A gate or the history stage waited too long for an earlier date's run: busy, not
            # broken (a gate's step failure names the exception's class first).
            self.busy = next((why for _, why in self.failures if EARLIER_BUSY_PREFIX in why), None)
            self.input_error = _input_error(result)
        self.gates = _failed_gates(result) if result is not None else []
        self.row_counts = _row_counts(result) if result is not None else {}

    @property
    def exit_code(self) -> int:
        if self.busy:
            return EXIT_BUSY
        if self.input_error:
            return EXIT_USAGE
        if self.gates:
            return EXIT_GATED
        return EXIT_OK if self.result is not None and self.result.success else EXIT_FAILED

    def summary(self) -> str:
        head = f"{self.day}: "
        if self.exit_code == EXIT_OK:
            shown = {k: self.row_counts[k] for k in SUMMARY_TABLES if k in self.row_counts}
            return head + "ok: " + ", ".join(f"{k} {v:,}" for k, v in shown.items())
        if self.busy:
            return head + "not run: " + self.busy
        if self.input_error:
            return f"error: {self.input_error}"
        lines = []
        if self.gates:
            lines.append(head + "release stopped by a gate; the previous release stays latest")
            lines += [f"  check {name}: {why}" for name, why in self.gates]
        else:
            lines.append(head + "failed")
        lines += [f"  step {step}: {why}" for step, why in self.failures]
        return "\n".join(lines)


def run_daily_job(
    day: date,
    out: Path,
    hub: dict,
    *,
    force: bool = False,
    replace: bool = False,
    gate_review: dict | None = None,
    progress: bool = False,
    refresh_later_days: bool = True,
    catalog: bool = True,
) -> JobOutcome:
    """Execute the `daily_census` job for one partition in this process.

    With `replace`, a release of the day that differs from the one built now is replaced (the
    old one moves aside); without it, it is refused. With `progress` and a terminal on stderr,
    each stage prints a line (its start, then its rows and time) and the crawl a line with its
    total and ETA. Without `refresh_later_days`, days after this one that were built before it
    are left stale (a backfill refreshes them at its end, once). Without `catalog`, the run
    leaves out the `catalog` asset (a backfill rebuilds the catalog once, at its end, instead of
    after each date).
    """
    import dagster as dg

    from pipeline.locks import DateBusyError, date_lock
    from pipeline.progress import on_terminal

    tty = on_terminal(progress)
    hub = hub | {"show_progress": tty}
    definitions = _definitions()
    if tty:
        # A logger of this process only: the code location's runs keep Dagster's own loggers.
        definitions = dg.Definitions.merge(
            definitions,
            dg.Definitions(
                loggers={"console": dg.colored_console_logger, "stages": _stage_logger(dg)}
            ),
        )
    job = definitions.resolve_job_def("daily_census")
    # Every asset (and so every check on them) but the catalog; None runs the whole job.
    selection = (
        None
        if catalog
        else [
            key
            for key in definitions.resolve_asset_graph().get_all_asset_keys()
            if key != dg.AssetKey("catalog")
        ]
    )
    run_config = {
        "resources": {
            "hub": {"config": hub},
            "output": {"config": {"path": str(out)}},
            "gate_review": {"config": gate_review or {"accept": [], "reason": None}},
        },
        "ops": {
            # both listings of the day: a models crawl taken again beside the datasets of the
            # one before would mix two crawls (two endpoints, two worlds) in one day
            "raw_models": {"config": {"force": force}},
            "raw_datasets": {"config": {"force": force}},
            "release": {"config": {"refresh_later_days": refresh_later_days, "force": replace}},
        },
        # Step-by-step events stay in the Dagster instance; the terminal gets the summary, which
        # names a failed step and its cause. HUB_CENSUS_LOG_LEVEL=DEBUG shows everything.
        "loggers": {
            "console": {"config": {"log_level": os.environ.get(LOG_LEVEL_ENV, "CRITICAL")}},
            **({"stages": {}} if tty else {}),
        },
    }
    try:
        with date_lock(Layout(out), day), _instance(dg) as instance:
            result = job.execute_in_process(
                run_config=run_config,
                partition_key=day.isoformat(),
                instance=instance,
                raise_on_error=False,
                asset_selection=selection,
            )
    except DateBusyError as exc:
        return JobOutcome(day, None, busy=str(exc))
    except OSError as exc:
        # The output root itself is unusable (unwritable, full, not a directory): nothing ran.
        return JobOutcome(day, None, error=f"cannot take the run lock under {out}: {exc}")
    return JobOutcome(day, result)


@cache
def _definitions():
    """The code location's definitions, loaded once per process: a backfill runs the daily job
    once per date, and loading `pipeline/defs/` again costs about 0.2 s each time."""
    from pipeline.definitions import defs

    return defs()


def _stage_logger(dg):
    """A Dagster logger that turns the run's step events into `StageLines` on stderr.

    Dagster hands every structured event of the run to each configured logger as it happens,
    the event itself attached to the log record as `dagster_event`.
    """
    import logging

    from pipeline.progress import StageLines

    lines = StageLines()

    class StageHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            event = getattr(record, "dagster_event", None)
            if event is None or not event.step_key:
                return
            step = event.step_key
            if event.is_step_start:
                lines.start(step)
            elif event.is_step_materialization:
                mat = event.event_specific_data.materialization
                rows = mat.metadata.get("dagster/row_count")
                if rows is not None:
                    lines.rows_of(step, mat.asset_key.to_user_string(), rows.value)
            elif event.is_step_success or event.is_step_failure:
                lines.end(step, ok=event.is_step_success)

    def init(_context) -> logging.Logger:
        logger = logging.Logger("hub_census.stages", logging.DEBUG)
        logger.addHandler(StageHandler())
        return logger

    return dg.LoggerDefinition(init, description="stage lines of hub-census on a terminal")


def report_rebuilt_days(rebuilt: list[date], republished: list[date], reason: dict) -> None:
    """Record days built again outside a run (a backfill's final refresh) in the Dagster instance
    DAGSTER_HOME names, as materializations of their tables (and releases), so that the UI shows
    them built again."""
    from pipeline.defs.release import rebuilt_materializations

    _report_runless(rebuilt_materializations(rebuilt, republished, reason))


def report_catalog(days: list[date], path: Path | None) -> None:
    """Record the catalog a backfill rebuilt once after its dates (their runs leave it out) in
    the Dagster instance DAGSTER_HOME names, as the `catalog` of each of those dates."""
    from pipeline.defs.release import catalog_materializations

    _report_runless(catalog_materializations(days, path))


def _report_runless(events: list) -> None:
    # Without DAGSTER_HOME there is no instance to keep them.
    if not os.environ.get("DAGSTER_HOME") or not events:
        return
    import dagster as dg

    with _instance(dg) as instance:
        for event in events:
            instance.report_runless_asset_event(event)


def _instance(dg):
    """The persistent instance when DAGSTER_HOME is set (runs show in the UI), else ephemeral.

    Either is disposed when the run ends: an ephemeral instance left to the garbage collector
    closes its SQLite connections from another thread, which prints tracebacks.
    """
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _failures(result) -> list[tuple[str, str]]:
    failures = []
    for event in result.get_step_failure_events():
        data = event.step_failure_data
        message = data.user_failure_data.description if data.user_failure_data else None
        if not message and data.error is not None:
            # Dagster wraps the step's exception; the innermost cause says what went wrong.
            error = data.error
            while error.cause is not None:
                error = error.cause
            message = error.message.strip()
        failures.append((event.step_key, message or "unknown error"))
    return failures


def _input_error(result) -> str | None:
    for event in result.get_step_failure_events():
        if event.step_failure_data.error is not None:
            error = event.step_failure_data.error
            while error.cause is not None:
                error = error.cause
            if error.cls_name == "ReplayError":
                return error.message.strip().removeprefix("pipeline.hub.replay.ReplayError: ")
    return None


def _failed_gates(result) -> list[tuple[str, str]]:
    import dagster as dg

    gates = []
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            why = evaluation.description or str(evaluation.metadata)
            gates.append((evaluation.check_name, why))
    return gates


def _row_counts(result) -> dict[str, int]:
    counts = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        rows = mat.metadata.get("dagster/row_count")
        if rows is not None:
            counts[mat.asset_key.to_user_string()] = rows.value
    return counts


if __name__ == "__main__":
    sys.exit(main())
