import sys
from collections.abc import Iterator
from datetime import date

import dagster as dg

from pipeline.defs.partitions import daily_snapshots
from pipeline.defs.resources import DuckDB, OutputRoot
from pipeline.defs.specs import asset_specs
from pipeline.history.build import HISTORY_TABLES, build_history
from pipeline.locks import EarlierDateBusyError, wait_for_earlier_runs


# Each day is compared with the newest earlier snapshot and adds its moves to that day's creation
# timeline: every history table depends on its own previous partition (pipeline/registry.yaml),
# so a backfill builds dates in order.
@dg.multi_asset(partitions_def=daily_snapshots, specs=asset_specs("history"))
def history(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB
) -> Iterator[dg.MaterializeResult]:
    day = date.fromisoformat(context.partition_key)

    def say(message: str) -> None:
        # The CLI keeps Dagster's console quiet; an operator must still see why the run pauses.
        context.log.warning(message)
        print(message, file=sys.stderr, flush=True)

    # Built while an earlier date is still being built, the day would be compared with the
    # snapshot before that one (docs/HISTORY.md, "Runs side by side").
    try:
        waited = wait_for_earlier_runs(output.layout, day, say)
    except EarlierDateBusyError as exc:
        raise dg.Failure(description=str(exc)) from exc
    with duckdb.connect(output.layout) as conn:
        result = build_history(output.layout, day, conn)
    for name in HISTORY_TABLES:
        metadata = {"dagster/row_count": result.rows.get(name, 0)}
        if name == "model_changes":
            metadata["previous_snapshot"] = str(result.previous_snapshot_date or "none (baseline)")
            metadata["days_since_previous"] = result.days_since_previous or 0
            metadata["by_change"] = dg.MetadataValue.json(result.changes)
            metadata["waited_for_earlier_runs_s"] = round(waited, 1)
        if name == "creation_timeline":
            metadata["timeline_mode"] = result.timeline_mode
        yield dg.MaterializeResult(asset_key=name, metadata=metadata)
