from collections.abc import Iterator
from datetime import date

import dagster as dg

from pipeline.defs.partitions import daily_snapshots
from pipeline.defs.resources import DuckDB, OutputRoot
from pipeline.defs.specs import asset_args, asset_specs
from pipeline.derivatives import build_derivatives, build_reconciliation


@dg.multi_asset(partitions_def=daily_snapshots, specs=asset_specs("derivatives"))
def derivatives(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB
) -> Iterator[dg.MaterializeResult]:
    day = date.fromisoformat(context.partition_key)
    with duckdb.connect(output.layout) as conn:
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


@dg.asset(**asset_args("reconciliation"))
def reconciliation(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB
) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)
    with duckdb.connect(output.layout) as conn:
        _, rows = build_reconciliation(output.layout, day, conn)
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})
