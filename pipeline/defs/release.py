import sys
from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import Field

import pipeline
from pipeline.daily import Refresh, rebuilt_tables, refresh_stale_days
from pipeline.defs.resources import DuckDB, HubSource, OutputRoot
from pipeline.defs.specs import asset_args
from pipeline.gates import acceptances
from pipeline.provenance import build_snapshot_sources, day_source
from pipeline.release.catalog import refresh_catalog
from pipeline.release.manifest import source_commit
from pipeline.release.publish import ReleaseExistsError, write_release


@dg.asset(
    **asset_args("snapshot_sources"),
)
def snapshot_sources(
    context: dg.AssetExecutionContext, hub: HubSource, output: OutputRoot, duckdb: DuckDB
) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)
    info = hub.source_info()
    with duckdb.connect(output.layout) as conn:
        path, rows = build_snapshot_sources(output.layout, day, info, conn)
    source = day_source(output.layout, day)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "dagster/uri": str(path),
            "source_kind": info.kind,
            "coverage": info.coverage,
            "missing_fields": dg.MetadataValue.json(
                list(source.missing_fields or []) if source else []
            ),
        }
    )


class ReleaseConfig(dg.Config):
    force: bool = Field(
        default=False,
        description="Replace an existing release of the day whose content differs.",
    )
    refresh_later_days: bool = Field(
        default=True,
        description=(
            "After the release, build again (and republish) the later days that were built "
            "before this date arrived. A backfill of many earlier dates turns this off and "
            "refreshes the later days once, at its end."
        ),
    )


def rebuilt_materializations(
    rebuilt: list[date], republished: list[date], reason: dict
) -> list[dg.AssetMaterialization]:
    """A materialization of each table a refresh wrote again for each rebuilt day, and of the
    release of each day it republished."""
    tables = rebuilt_tables()
    return [
        dg.AssetMaterialization(asset_key=key, partition=str(day), metadata=reason)
        for day in rebuilt
        for key in tables + (["release"] if day in republished else [])
    ]


def catalog_materializations(days: list[date], path: Path | None) -> list[dg.AssetMaterialization]:
    """A materialization of the `catalog` of each date whose run left it out (a backfill's
    dates), once the catalog is rebuilt after them all."""
    if path is None:
        return []
    metadata = {"dagster/uri": str(path), "rebuilt_by": "hub-census backfill, after its dates"}
    return [
        dg.AssetMaterialization(asset_key="catalog", partition=str(day), metadata=metadata)
        for day in days
    ]


@dg.asset(
    **asset_args("release"),
)
def release(
    context: dg.AssetExecutionContext, config: ReleaseConfig, output: OutputRoot, duckdb: DuckDB
) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)

    def say(message: str) -> None:
        # The CLI keeps Dagster's console quiet; rebuilding later days can take minutes.
        context.log.info(message)
        print(message, file=sys.stderr, flush=True)

    refresh_args = {"pipeline_version": pipeline.__version__, "source_commit": source_commit()}
    # Days up to this one built before an earlier date arrived (this day among them when its own
    # run began before that date's ended): build them again, in order, before publishing it.
    with duckdb.connect(output.layout) as conn:
        before = refresh_stale_days(
            output.layout, conn, own_day=day, until=day, say=say, **refresh_args
        )
    try:
        result = write_release(
            output.layout,
            day,
            force=config.force,
            pipeline_version=pipeline.__version__,
            source_commit=source_commit(),
            gate_acceptances=acceptances(output.layout, day),
        )
    except ReleaseExistsError as exc:
        raise dg.Failure(description=str(exc)) from exc
    # Later days built before this one arrived read an older snapshot as the day before them.
    after = Refresh()
    if config.refresh_later_days:
        with duckdb.connect(output.layout) as conn:
            after = refresh_stale_days(output.layout, conn, say=say, **refresh_args)
    rebuilt = [d for d in before.rebuilt + after.rebuilt if d != day]
    # The UI shows each rebuilt partition as materialized again, by this run.
    for event in rebuilt_materializations(
        before.rebuilt + after.rebuilt,
        before.republished + after.republished,
        {"built_again_in_the_run_of": str(day)},
    ):
        context.log_event(event)
    # a day held by another run before this release is met again after it
    left_stale = sorted(set(before.left_stale + after.left_stale))
    if left_stale:
        context.log.warning(
            "stale days left: "
            + ", ".join(map(str, left_stale))
            + " (a run holds the first of them); its run, or the next run under this root, "
            "rebuilds them"
        )
    return dg.MaterializeResult(
        metadata={
            "release_id": result.release_id,
            "reused_identical_release": result.was_reused,
            "dagster/row_count": result.rows.get("models", 0),
            "rows_by_table": dg.MetadataValue.json(result.rows),
            "dagster/uri": str(result.directory),
            "rebuilt_own_day": day in before.rebuilt,
            "rebuilt_stale_days": [str(d) for d in rebuilt],
            "stale_days_left": [str(d) for d in left_stale],
        }
    )


@dg.asset(
    **asset_args("catalog"),
)
def catalog(context: dg.AssetExecutionContext, output: OutputRoot) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)
    path = refresh_catalog(output.layout, published=day)
    return dg.MaterializeResult(metadata={"dagster/uri": str(path)})
