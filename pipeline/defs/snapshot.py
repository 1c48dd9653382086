from collections.abc import Callable
from datetime import date

import dagster as dg
from pydantic import Field

from pipeline.defs.resources import HubSource, OutputRoot
from pipeline.defs.specs import asset_args
from pipeline.hub.crawl import CrawlError, SnapshotDateError
from pipeline.locks import DateBusyError, date_lock


class SnapshotConfig(dg.Config):
    force: bool = Field(
        default=False,
        description="Crawl again even when the day's raw snapshot is already complete.",
    )


@dg.asset(
    **asset_args("raw_models"),
)
def raw_models(
    context: dg.AssetExecutionContext,
    config: SnapshotConfig,
    hub: HubSource,
    output: OutputRoot,
) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)
    raw_dir = output.layout.raw_models(day)
    manifest = _take(
        output, day, lambda: hub.snapshot(raw_dir, day, force=config.force, log=context.log)
    )
    return dg.MaterializeResult(metadata=snapshot_metadata(manifest, raw_dir))


@dg.asset(
    **asset_args("raw_datasets"),
)
def raw_datasets(
    context: dg.AssetExecutionContext,
    config: SnapshotConfig,
    hub: HubSource,
    output: OutputRoot,
) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)
    raw_dir = output.layout.raw_datasets(day)
    manifest = _take(
        output,
        day,
        lambda: hub.snapshot_datasets(raw_dir, day, force=config.force, log=context.log),
    )
    if manifest is None:
        return dg.MaterializeResult(metadata={"checked": False})
    return dg.MaterializeResult(metadata={"checked": True, **snapshot_metadata(manifest, raw_dir)})


def _take(output: OutputRoot, day: date, snapshot: Callable[[], dict | None]) -> dict | None:
    """Run one listing's snapshot under the date's lock: two runs of one partition must never
    crawl into the same raw directory together. A crawl's refusal fails the step with its line."""
    try:
        with date_lock(output.layout, day):
            return snapshot()
    except (CrawlError, SnapshotDateError, DateBusyError) as exc:
        raise dg.Failure(description=str(exc)) from exc


def snapshot_metadata(manifest: dict, raw_dir) -> dict:
    keys = (
        "source",
        "endpoint",
        "pages",
        "requests",
        "retries",
        "status_429",
        "status_5xx",
        "bytes",
        "seconds",
        "rejected_count",
        "client",
        "dropped",
        "truncated",
    )
    metadata: dict = {k: manifest[k] for k in keys if manifest.get(k) is not None}
    metadata["dagster/row_count"] = manifest.get("model_count", 0)
    metadata["dagster/uri"] = str(raw_dir)
    return metadata
