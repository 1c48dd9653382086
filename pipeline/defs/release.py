import os
import subprocess
from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import Field

import pipeline
from pipeline.defs.partitions import daily_snapshots
from pipeline.defs.resources import OutputRoot


class ReleaseConfig(dg.Config):
    force: bool = Field(
        default=False,
        description="Replace an existing release of the day whose content differs.",
    )


@dg.asset(
    partitions_def=daily_snapshots,
    group_name="release",
    deps=[
        "models",
        "lineage_edges",
        "lineage_ancestry",
        "model_changes",
        "ecosystem_daily",
        "quarantine",
        "derivatives_daily",
        "family_downloads_window",
        "reconciliation",
    ],
    kinds={"parquet"},
    description=(
        "One immutable release per snapshot date under releases/YYYY-MM-DD/: one Parquet file "
        "per table (one row per model per snapshot date in `models`; each table states its "
        "grain in the schema contract), with manifest, Croissant metadata and dataset card."
    ),
)
def release(
    context: dg.AssetExecutionContext, config: ReleaseConfig, output: OutputRoot
) -> dg.MaterializeResult:
    from pipeline.release.publish import ReleaseExistsError, publish_release

    day = date.fromisoformat(context.partition_key)
    try:
        result = publish_release(
            output.layout,
            day,
            force=config.force,
            pipeline_version=pipeline.__version__,
            source_commit=source_commit(),
        )
    except ReleaseExistsError as exc:
        raise dg.Failure(description=str(exc)) from exc
    return dg.MaterializeResult(
        metadata={
            "release_id": result.release_id,
            "reused_identical_release": result.was_reused,
            "dagster/row_count": result.rows.get("models", 0),
            "rows_by_table": dg.MetadataValue.json(result.rows),
            "dagster/uri": str(result.directory),
        }
    )


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
