"""One typed resource per external system: the Hub, the output root, the DuckDB engine; and
the operator's review of stopped gates.

Retries, paging and checkpoints live in the crawl code the Hub resource calls; the resources only
choose what to talk to and how.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Literal

import dagster as dg
import duckdb
from pydantic import Field

from pipeline import gates
from pipeline.defs.partitions import simulated_from
from pipeline.hub.crawl import RetryPolicy, crawl_datasets, crawl_models
from pipeline.hub.raw import page_bound
from pipeline.hub.replay import replay_files
from pipeline.paths import DEFAULT_ROOT, ROOT_ENV, Layout
from pipeline.provenance import KIND_BY_MODE, SourceInfo
from pipeline.sql import DEFAULT_MEMORY_LIMIT, engine

_SIMULATED_FROM = simulated_from()


class HubSource(dg.ConfigurableResource):
    """Where the daily snapshot comes from.

    - `api`: `GET /api/models` through huggingface_hub at `endpoint` (default: the client's
      endpoint, i.e. the live Hub or whatever `HF_ENDPOINT` says; a running simulator's URL works).
    - `simulated`: a simulated Hub started on loopback for the run (offline use of `dagster dev`).
    - `file`: a recorded listing (`from_file`: JSON Lines, a folder of API responses or a Parquet
      dump; `from_files`: several recorded on one date, as one snapshot) replayed instead of a
      crawl.

    The token is never configuration: huggingface_hub reads `HF_TOKEN` or its own store, and an
    endpoint holding a user name, password, query or fragment is refused.

    `max_pages` bounds a crawl; unset, the bound is twice the pages of the latest complete
    snapshot of an earlier date plus a margin (no bound for a first snapshot).
    """

    # In a simulated code location (HUB_CENSUS_SIMULATED_FROM) the defaults are its world, so
    # that a launchpad config naming other fields keeps them (run config replaces the resource).
    mode: Literal["api", "simulated", "file"] = "simulated" if _SIMULATED_FROM else "api"
    endpoint: str | None = None
    from_file: str | None = None
    # several recordings of one date, replayed as one snapshot (a backfill's trees of one day)
    from_files: list[str] | None = None
    sim_seed: int = 0
    sim_models: int = 10_000
    sim_start_date: str = (_SIMULATED_FROM or date(2026, 1, 1)).isoformat()
    # In `api` mode, the name of the simulated world `endpoint` serves (the demo's,
    # `WorldConfig.name`): a day crawled from it is reused for the same world on any port.
    world: str | None = None
    page_size: int = 1000
    retry_budget: int = 200
    max_pages: int | None = None
    show_progress: bool = False
    # Provenance, published in `snapshot_sources`: the kind defaults by mode (see
    # pipeline.provenance); `source_name`/`source_sha256` name the imported file when the file
    # replayed is a conversion of it. Coverage is the operator's statement.
    # live_crawl, recorded_replay, archive_import or simulated (checked by SourceInfo)
    source_kind: str | None = None
    coverage: Literal["full_hub", "subset"] = "full_hub"
    # the subset's name (`--subset`): subset days are compared only when they name the same one
    subset_name: str | None = None
    # the source's own licence as the operator states it (`--source-license`, an SPDX id)
    source_license: str | None = None
    source_name: str | None = None
    source_sha256: str | None = None

    def source_info(self):
        return SourceInfo(
            kind=self.source_kind or KIND_BY_MODE[self.mode],
            coverage=self.coverage,
            subset_name=self.subset_name,
            license=self.source_license,
            name=self.source_name,
            sha256=self.source_sha256,
        )

    def snapshot(self, raw_dir: Path, snapshot_date: date, *, force: bool, log) -> dict:
        """Take (or reuse) the raw snapshot for `snapshot_date`; return its manifest."""
        progress = _progress_printer(log, tty=self.show_progress and sys.stderr.isatty())
        if self.mode == "file":
            paths = [self.from_file] if self.from_file else self.from_files
            if not paths:
                raise dg.Failure("hub source mode 'file' needs `from_file` or `from_files`")
            manifest = replay_files(
                [Path(p) for p in paths], raw_dir, snapshot_date, force=force, progress=progress
            )
            return manifest.to_json()

        return self._crawl(crawl_models, raw_dir, snapshot_date, force=force, progress=progress)

    def snapshot_datasets(
        self, raw_dir: Path, snapshot_date: date, *, force: bool, log
    ) -> dict | None:
        """Crawl (or reuse) the day's dataset listing; None in `file` mode, which replays only
        a model listing (the day's declared datasets are then `unchecked`)."""
        if self.mode == "file":
            return None
        return self._crawl(crawl_datasets, raw_dir, snapshot_date, force=force)

    def _crawl(self, crawl_listing, raw_dir: Path, snapshot_date: date, **kwargs) -> dict:
        """One listing of the day from the live endpoint or a simulated Hub, with the same
        retries and page bound for models and datasets."""

        def crawl(endpoint: str | None, world: str | None):
            return crawl_listing(
                endpoint,
                raw_dir,
                snapshot_date,
                world=world,
                page_size=self.page_size,
                retry=RetryPolicy(total_retry_budget=self.retry_budget),
                max_pages=self.max_pages or page_bound(raw_dir, snapshot_date, self.page_size),
                **kwargs,
            )

        if self.mode == "api":
            return crawl(self.endpoint, self.world).to_json()
        from pipeline.simulator.server import SimulatedHub

        world = self._simulated_world(snapshot_date)
        with SimulatedHub(world.state(snapshot_date)) as hub:
            return crawl(hub.url, world.config.name).to_json()

    def _simulated_world(self, snapshot_date: date):
        start = date.fromisoformat(self.sim_start_date)
        if snapshot_date < start:
            raise dg.Failure(
                f"the simulated world starts on {start}; it has no state for {snapshot_date}"
            )
        # imported here: the simulator (polars, numpy) is a fifth of a run's import time, and
        # only the simulated source needs it (so is its server, above)
        from pipeline.simulator.world import World, WorldConfig

        return World(WorldConfig(seed=self.sim_seed, start_date=start, n_models=self.sim_models))


class OutputRoot(dg.ConfigurableResource):
    """The output root: raw snapshots, warehouse partitions, releases and the catalog."""

    path: str = str(DEFAULT_ROOT)

    @property
    def layout(self) -> Layout:
        return Layout(Path(self.path))


class GateReview(dg.ConfigurableResource):
    """Steady gates an operator accepted for this run after reviewing the stopped day.

    An accepted gate that fails is reported at warning severity, which does not block the
    release; the acceptance and `reason` are written into the release manifest and dataset card.
    """

    accept: list[str] = Field(default_factory=list)
    reason: str | None = None

    def gate_check(
        self,
        layout: Layout,
        day: date,
        name: str,
        result,
        asset_key: str | None = None,
    ) -> dg.AssetCheckResult:
        """The check result of gate `name` for `day`, recorded for the release to report."""
        try:
            gates.validate_acceptance(self.accept, self.reason)
        except gates.GateAcceptanceError as exc:
            raise dg.Failure(description=str(exc)) from exc
        record = gates.judge(name, result, self.accept, self.reason)
        gates.record_gate(layout, day, record)
        accepted = record.acceptance == "accepted"
        description = result.description
        if accepted:
            description += f" (accepted after review: {self.reason})"
        return dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=name,
            passed=result.passed,
            severity=dg.AssetCheckSeverity.WARN if accepted else dg.AssetCheckSeverity.ERROR,
            description=description,
            metadata={**result.metadata, "acceptance": record.acceptance or "none"},
        )


class DuckDB(dg.ConfigurableResource):
    """An in-process DuckDB engine per step.

    Parquet is the record, so every step opens its own in-memory database and reads and writes
    Parquet files: there is no shared database file whose lock partitions could fight over.
    """

    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int | None = None

    @contextmanager
    def connect(self, layout: Layout) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one step on `layout`'s data; it spills under the output root."""
        config: dict[str, str | int] = {"memory_limit": self.memory_limit}
        if self.threads:
            config["threads"] = self.threads
        conn = engine(layout, **config)
        try:
            yield conn
        finally:
            conn.close()


def _progress_printer(log, *, tty: bool):
    """Crawl progress: a line rewritten in place on a terminal, a log line every 50 pages else."""
    from pipeline.progress import REWRITE, crawl_line

    def show(p) -> None:
        line = crawl_line(p)
        if tty:
            print(f"{REWRITE}  {line}", end="", file=sys.stderr, flush=True)
        elif p.pages % 50 == 0:
            log.info(line)

    return show


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "hub": HubSource(),
            "output": OutputRoot(path=os.environ.get(ROOT_ENV, str(DEFAULT_ROOT))),
            "duckdb": DuckDB(),
            "gate_review": GateReview(),
        }
    )
