from datetime import date

import dagster as dg
from pydantic import Field

from pipeline.defs.partitions import daily_snapshots
from pipeline.defs.resources import HubSource, OutputRoot


class SnapshotConfig(dg.Config):
    force: bool = Field(
        default=False,
        description="Crawl again even when the day's raw snapshot is already complete.",
    )


@dg.asset(
    partitions_def=daily_snapshots,
    group_name="snapshot",
    kinds={"huggingface", "json"},
    description=(
        "Raw listing of the Hub's public models as crawled on the partition's UTC day: one JSON "
        "object per model per snapshot date, exactly as `GET /api/models` returned it, in gzip "
        "JSON Lines pages under raw/models/snapshot_date=YYYY-MM-DD/. Complete only once its "
        "_manifest.json exists; an incomplete crawl resumes from its last page."
    ),
)
def raw_models(
    context: dg.AssetExecutionContext,
    config: SnapshotConfig,
    hub: HubSource,
    output: OutputRoot,
) -> dg.MaterializeResult:
    from pipeline.hub.crawl import CrawlError, SnapshotDateError
    from pipeline.locks import DateBusyError, date_lock

    day = date.fromisoformat(context.partition_key)
    raw_dir = output.layout.raw_models(day)
    try:
        # Two runs of one partition must never crawl into the same raw directory together.
        with date_lock(output.layout, day):
            manifest = hub.snapshot(raw_dir, day, force=config.force, log=context.log)
    except (CrawlError, SnapshotDateError, DateBusyError) as exc:
        raise dg.Failure(description=str(exc)) from exc
    return dg.MaterializeResult(metadata=snapshot_metadata(manifest, raw_dir))


@dg.asset(
    partitions_def=daily_snapshots,
    group_name="snapshot",
    kinds={"huggingface", "json"},
    description=(
        "Raw listing of the Hub's datasets on the partition's UTC day, exactly as "
        "`GET /api/datasets` returned it, under raw/datasets/snapshot_date=YYYY-MM-DD/, crawled "
        "with the models' machinery (origin check, deadlines, page bound, retries). A failed "
        "crawl fails the day: open_data is never published on an unchecked listing. A `file` "
        "hub source replays no datasets: the day's declared datasets are then `unchecked`."
    ),
)
def raw_datasets(
    context: dg.AssetExecutionContext,
    config: SnapshotConfig,
    hub: HubSource,
    output: OutputRoot,
) -> dg.MaterializeResult:
    from pipeline.hub.crawl import CrawlError, SnapshotDateError
    from pipeline.locks import DateBusyError, date_lock

    day = date.fromisoformat(context.partition_key)
    raw_dir = output.layout.raw_datasets(day)
    try:
        with date_lock(output.layout, day):
            manifest = hub.snapshot_datasets(raw_dir, day, force=config.force, log=context.log)
    except (CrawlError, SnapshotDateError, DateBusyError) as exc:
        raise dg.Failure(description=str(exc)) from exc
    if manifest is None:
        return dg.MaterializeResult(metadata={"checked": False})
    return dg.MaterializeResult(metadata={"checked": True, **snapshot_metadata(manifest, raw_dir)})


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
