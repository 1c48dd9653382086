from collections.abc import Iterator
from datetime import date

import dagster as dg

from pipeline.defs.partitions import daily_snapshots
from pipeline.defs.resources import DuckDB, OutputRoot


@dg.multi_asset(
    partitions_def=daily_snapshots,
    group_name="staging",
    specs=[
        dg.AssetSpec(
            "models_staged",
            deps=["raw_models"],
            kinds={"duckdb", "parquet"},
            description=(
                "One row per model per snapshot date: the raw listing parsed into typed columns "
                "(ids, dates, counters, gating, raw license and base-model fields, tags, files)."
            ),
        ),
        dg.AssetSpec(
            "quarantine",
            deps=["raw_models"],
            kinds={"duckdb", "parquet"},
            description=(
                "One row per rejected raw record per snapshot date, with the stage that rejected "
                "it, the reason and the record itself (truncated, with its length and sha256)."
            ),
        ),
    ],
)
def staged_models(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB
) -> Iterator[dg.MaterializeResult]:
    from pipeline.staging import IncompleteSnapshotError, stage_models

    day = date.fromisoformat(context.partition_key)
    with duckdb.connect() as conn:
        try:
            result = stage_models(output.layout, day, conn)
        except IncompleteSnapshotError as exc:
            raise dg.Failure(description=str(exc)) from exc
    yield dg.MaterializeResult(
        asset_key="models_staged",
        metadata={
            "dagster/row_count": result.rows_staged,
            "dagster/uri": str(output.layout.table_partition("models_staged", day)),
            "seconds": round(result.seconds, 2),
        },
    )
    yield dg.MaterializeResult(
        asset_key="quarantine",
        metadata={
            "dagster/row_count": result.rows_quarantined,
            "by_reason": dg.MetadataValue.json(result.quarantine_by_reason),
        },
    )
