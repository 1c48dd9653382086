from collections.abc import Iterator
from datetime import date

import dagster as dg

from pipeline.datasets import build_datasets
from pipeline.defs.partitions import daily_snapshots
from pipeline.defs.resources import DuckDB, OutputRoot
from pipeline.defs.specs import asset_specs


@dg.multi_asset(partitions_def=daily_snapshots, specs=asset_specs("staged_datasets"))
def staged_datasets(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB
) -> Iterator[dg.MaterializeResult]:
    day = date.fromisoformat(context.partition_key)
    with duckdb.connect(output.layout) as conn:
        result = build_datasets(output.layout, day, conn)
    yield dg.MaterializeResult(
        asset_key="datasets",
        metadata={
            "dagster/row_count": result.datasets,
            "checked": result.checked,
            "private_dropped": result.private_dropped,
        },
    )
    yield dg.MaterializeResult(
        asset_key="model_datasets",
        metadata={
            "dagster/row_count": result.model_datasets,
            "by_status": dg.MetadataValue.json(result.status_counts),
        },
    )
