import os
import subprocess
from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import Field

import pipeline
from pipeline.daily import refresh_stale_days
from pipeline.defs.resources import DuckDB, HubSource, OutputRoot
from pipeline.defs.specs import asset_args
from pipeline.gates import acceptances
from pipeline.history.build import build_history, stale_history_dates
from pipeline.provenance import build_snapshot_sources, day_source
from pipeline.release.catalog import refresh_catalog
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


@dg.asset(
    **asset_args("release"),
)
def release(
    context: dg.AssetExecutionContext, config: ReleaseConfig, output: OutputRoot, duckdb: DuckDB
) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)
    with duckdb.connect(output.layout) as conn:
        # An earlier date's snapshot arrived after this day's history was built: build it again.
        if day in stale_history_dates(output.layout):
            build_history(output.layout, day, conn)
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
    # Later days built before this one arrived compared themselves with an older snapshot.
    with duckdb.connect(output.layout) as conn:
        refresh = refresh_stale_days(
            output.layout,
            conn,
            pipeline_version=pipeline.__version__,
            source_commit=source_commit(),
        )
    if refresh.left_stale:
        context.log.warning(
            "history of "
            + ", ".join(map(str, refresh.left_stale))
            + " is stale and its run is in progress; the next run under this root rebuilds it"
        )
    return dg.MaterializeResult(
        metadata={
            "release_id": result.release_id,
            "reused_identical_release": result.was_reused,
            "dagster/row_count": result.rows.get("models", 0),
            "rows_by_table": dg.MetadataValue.json(result.rows),
            "dagster/uri": str(result.directory),
            "rebuilt_stale_days": [str(d) for d in refresh.rebuilt],
            "stale_days_left": [str(d) for d in refresh.left_stale],
        }
    )


@dg.asset(
    **asset_args("catalog"),
)
def catalog(context: dg.AssetExecutionContext, output: OutputRoot) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)
    path = refresh_catalog(output.layout, published=day)
    return dg.MaterializeResult(metadata={"dagster/uri": str(path)})


def source_commit() -> str | None:
    """The commit the code runs from: `HUB_CENSUS_COMMIT` in deployments, else git if present."""
    if commit := os.environ.get("HUB_CENSUS_COMMIT"):
        return commit
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(pipeline.__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
