from collections.abc import Iterator
from datetime import date

import dagster as dg

from pipeline.defs.partitions import daily_snapshots
from pipeline.defs.resources import DuckDB, OutputRoot
from pipeline.defs.specs import asset_specs
from pipeline.staging import COVERAGE_TABLE, IncompleteSnapshotError, stage_models


@dg.multi_asset(partitions_def=daily_snapshots, specs=asset_specs("staged_models"))
def staged_models(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB
) -> Iterator[dg.MaterializeResult]:
    day = date.fromisoformat(context.partition_key)
    with duckdb.connect(output.layout) as conn:
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
            # their card's licence names, parents, datasets and code links are unknown
            "cards_left_as_text": result.cards_as_text,
            # empty cards of a recording that has no other kind (an asdict save): staged as unknown
            "empty_cards_unknown": result.cards_emptied,
            # a date that combines files: which of them carry cards and parents in their tags
            **(
                {"recordings": dg.MetadataValue.json(result.recordings)}
                if result.recordings
                else {}
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key="quarantine",
        metadata={
            "dagster/row_count": result.rows_quarantined,
            "by_reason": dg.MetadataValue.json(result.quarantine_by_reason),
        },
    )
    yield dg.MaterializeResult(
        asset_key=COVERAGE_TABLE,
        metadata={"dagster/uri": str(result.paths[COVERAGE_TABLE])},
    )
