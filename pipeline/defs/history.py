import sys
from collections.abc import Iterator
from datetime import date

import dagster as dg

from pipeline.defs.partitions import daily_snapshots
from pipeline.defs.resources import DuckDB, OutputRoot

# Each day is compared with the snapshot before it and adds its moves to the previous creation
# timeline, so a backfill must run in date order: these depend on their own previous partition.
_previous_day = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
_CHAINED = ("model_attribute_history", "creation_timeline")

_SPECS = {
    "model_changes": (
        "One row per model, change and snapshot date: added, removed, renamed (same _id, new "
        "id), license, base model, gating and other attribute changes since the previous "
        "snapshot, with old and new values and the days the comparison spans."
    ),
    "model_counters": (
        "One row per model per snapshot date: downloads over 30 days, all-time downloads, likes, "
        "and the all-time delta since the previous snapshot (decreases flagged)."
    ),
    "model_attribute_history": (
        "One row per model, attribute version and snapshot date: slowly changing attributes "
        "with valid_from / valid_to, to ask what the ecosystem looked like as of any date."
    ),
    "ecosystem_daily": (
        "One row per snapshot date, dimension and value: models, new, removed, created that "
        "day, downloads and likes by family, license, relation, openness tier, task and library."
    ),
    "creation_timeline": (
        "One row per creation month, family, license category and relation as seen on the "
        "snapshot date; repos with the placeholder creation time count as before 2022-03-02. "
        "Built on the previous snapshot's timeline plus the day's moves."
    ),
}


@dg.multi_asset(
    partitions_def=daily_snapshots,
    group_name="history",
    specs=[
        dg.AssetSpec(
            name,
            deps=["models", "snapshot_sources"]
            + ([dg.AssetDep(name, partition_mapping=_previous_day)] if name in _CHAINED else []),
            kinds={"duckdb", "parquet"},
            description=description,
        )
        for name, description in _SPECS.items()
    ],
)
def history(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB
) -> Iterator[dg.MaterializeResult]:
    from pipeline.history.build import build_history
    from pipeline.locks import EarlierDateBusyError, wait_for_earlier_runs

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
    with duckdb.connect() as conn:
        result = build_history(output.layout, day, conn)
    for name in _SPECS:
        metadata = {"dagster/row_count": result.rows.get(name, 0)}
        if name == "model_changes":
            metadata["previous_snapshot"] = str(result.previous_snapshot_date or "none (baseline)")
            metadata["days_since_previous"] = result.days_since_previous or 0
            metadata["by_change"] = dg.MetadataValue.json(result.changes)
            metadata["waited_for_earlier_runs_s"] = round(waited, 1)
        if name == "creation_timeline":
            metadata["timeline_mode"] = result.timeline_mode
        yield dg.MaterializeResult(asset_key=name, metadata=metadata)
