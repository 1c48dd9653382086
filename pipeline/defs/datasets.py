from collections.abc import Iterator
from datetime import date

import dagster as dg

from pipeline.defs.partitions import daily_snapshots
from pipeline.defs.resources import DuckDB, OutputRoot


@dg.multi_asset(
    partitions_def=daily_snapshots,
    group_name="datasets",
    specs=[
        dg.AssetSpec(
            "datasets",
            deps=["raw_datasets"],
            kinds={"duckdb", "parquet"},
            description=(
                "One row per public dataset listed on the Hub per snapshot date, license "
                "normalised with the models' reference; not written on a day without a listing."
            ),
        ),
        dg.AssetSpec(
            "model_datasets",
            deps=["raw_datasets", "models_staged"],
            kinds={"duckdb", "parquet"},
            description=(
                "One row per model per declared training dataset per snapshot date, resolved "
                "against the day's listing: resolved, gated, renamed, missing, external, or "
                "unchecked when the day has no dataset listing."
            ),
        ),
    ],
)
def staged_datasets(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB
) -> Iterator[dg.MaterializeResult]:
    from pipeline.datasets import build_datasets

    day = date.fromisoformat(context.partition_key)
    with duckdb.connect() as conn:
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
