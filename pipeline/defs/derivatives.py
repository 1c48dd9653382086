from collections.abc import Iterator
from datetime import date

import dagster as dg

from pipeline.defs.partitions import daily_snapshots
from pipeline.defs.resources import DuckDB, OutputRoot

# The window downloads read the `models` partitions of the day, 7 and 30 days before: the
# dependency spans those 30 days. An earlier day that was never snapshotted (or precedes the
# partitions) gives a null window, so its absence must not block the run.
_window_of_models = dg.TimeWindowPartitionMapping(
    start_offset=-30, end_offset=0, allow_nonexistent_upstream_partitions=True
)


@dg.multi_asset(
    partitions_def=daily_snapshots,
    group_name="derivatives",
    specs=[
        dg.AssetSpec(
            "derivatives_daily",
            deps=["lineage_edges", "lineage_ancestry", "models"],
            kinds={"duckdb", "parquet"},
            description=(
                "One row per snapshot date, base (model or organisation), relation and depth "
                "(direct or transitive): how many models derive from the base, merges included."
            ),
        ),
        dg.AssetSpec(
            "family_downloads_window",
            deps=[dg.AssetDep("models", partition_mapping=_window_of_models)],
            kinds={"duckdb", "parquet"},
            description=(
                "One row per snapshot date, family, window (7 or 30 days) and group (quantized "
                "or GGUF, other): downloads over the window from all-time counter deltas."
            ),
        ),
    ],
)
def derivatives(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB
) -> Iterator[dg.MaterializeResult]:
    from pipeline.derivatives import build_derivatives

    day = date.fromisoformat(context.partition_key)
    with duckdb.connect() as conn:
        result = build_derivatives(output.layout, day, conn)
    yield dg.MaterializeResult(
        asset_key="derivatives_daily",
        metadata={"dagster/row_count": result.rows["derivatives_daily"]},
    )
    yield dg.MaterializeResult(
        asset_key="family_downloads_window",
        metadata={
            "dagster/row_count": result.rows["family_downloads_window"],
            "earlier_snapshots": dg.MetadataValue.json(
                {f"{days}d": str(d) if d else None for days, d in result.earlier.items()}
            ),
        },
    )


@dg.asset(
    partitions_def=daily_snapshots,
    group_name="derivatives",
    deps=["raw_models", "models_staged", "quarantine"],
    kinds={"duckdb", "parquet"},
    description=(
        "One row per snapshot date: records listed, the Hub's reported total, public, gated, "
        "disabled, quarantined by reason and private records dropped, so counts reconcile."
    ),
)
def reconciliation(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB
) -> dg.MaterializeResult:
    from pipeline.derivatives import build_reconciliation

    day = date.fromisoformat(context.partition_key)
    with duckdb.connect() as conn:
        _, rows = build_reconciliation(output.layout, day, conn)
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})
