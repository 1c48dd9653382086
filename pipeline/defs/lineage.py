from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import dagster as dg

from pipeline.defs.partitions import daily_snapshots
from pipeline.defs.resources import DuckDB, GateReview, OutputRoot
from pipeline.defs.specs import asset_specs
from pipeline.gates import partition_rows, previous_to_compare, share_gate
from pipeline.lineage.build import (
    ALIASES_TABLE,
    LEDGER_DIR,
    MODEL_LINEAGE_TABLE,
    build_lineage,
    cycle_edges_in_ancestry,
    resolved_parent_share,
)

# Declared parents are stable on the real Hub from one day to the next; a fall of this many points
# in the share of models with a resolved parent means the input or the resolver broke.
MAX_RESOLVED_SHARE_DROP = 0.02


@dg.multi_asset(
    partitions_def=daily_snapshots,
    specs=asset_specs("lineage"),
    check_specs=[
        dg.AssetCheckSpec(
            "no_cycle_in_ancestry",
            asset="lineage_ancestry",
            blocking=True,
            description=(
                "No cycle or self-loop edge is walked by the ancestry, and no walked edge is "
                "left out of it."
            ),
        ),
        dg.AssetCheckSpec(
            "resolved_parent_share_steady",
            asset="model_lineage",
            blocking=True,
            description=(
                f"The share of models with a resolved parent falls by at most "
                f"{MAX_RESOLVED_SHARE_DROP:.0%} points from the previous snapshot, plus the "
                "sampling noise of the two days' sizes."
            ),
        ),
    ],
)
def lineage(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB, gate_review: GateReview
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    layout = output.layout
    day = date.fromisoformat(context.partition_key)
    with duckdb.connect(layout) as conn:
        result = build_lineage(layout, day, conn)
        cycles = cycle_edges_in_ancestry(layout, day, conn)
        share = resolved_parent_share(layout, day, conn)
        previous_day, unlike = previous_to_compare(layout, "model_lineage", day)
        previous = resolved_parent_share(layout, previous_day, conn) if previous_day else None
        previous_n = (
            partition_rows(conn, layout.table_partition(MODEL_LINEAGE_TABLE, previous_day))
            if previous_day
            else 0
        )
    ledger = result.ledger
    yield dg.MaterializeResult(
        asset_key="lineage_edges",
        metadata={
            "dagster/row_count": result.rows["lineage_edges"],
            "quality_ledger": dg.MetadataValue.json(ledger),
        },
    )
    yield dg.MaterializeResult(
        asset_key="lineage_ancestry",
        metadata={"dagster/row_count": result.rows["lineage_ancestry"]},
    )
    yield dg.MaterializeResult(
        asset_key="model_lineage",
        metadata={
            "dagster/row_count": result.rows["model_lineage"],
            "resolved_parent_share": round(share, 4),
            # records that cannot name their parents (no card, no base_model tags in the source)
            "models_with_unknown_parents": ledger["models"]["n_parents_unknown"],
        },
    )
    yield dg.MaterializeResult(
        asset_key=ALIASES_TABLE,
        metadata={"dagster/row_count": result.rows[ALIASES_TABLE]},
    )
    yield dg.MaterializeResult(
        asset_key=LEDGER_DIR, metadata={"dagster/uri": str(result.paths["ledger"])}
    )
    yield dg.AssetCheckResult(
        asset_key="lineage_ancestry",
        check_name="no_cycle_in_ancestry",
        passed=cycles == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"{cycles} cycle edge(s) walked by the ancestry or walked edge(s) left out",
        metadata={"cycle_edges": cycles},
    )
    gate = share_gate(
        "models with a resolved parent",
        share,
        result.rows["model_lineage"],
        previous,
        previous_n,
        MAX_RESOLVED_SHARE_DROP,
        falls=True,
    )
    # A source unlike the previous one's is checked on its own, and the check says why.
    gate = replace(gate, description=gate.description + unlike)
    yield gate_review.gate_check(
        layout, day, "resolved_parent_share_steady", gate, asset_key="model_lineage"
    )
