from dataclasses import replace
from datetime import date

import dagster as dg

from pipeline.defs.resources import DuckDB, GateReview, OutputRoot
from pipeline.defs.specs import asset_args
from pipeline.gates import partition_rows, previous_to_compare, share_gate
from pipeline.licenses.build import TABLE, build_model_licenses, unknown_other_share

# The share of `unknown-other` moves slowly on the real Hub; a jump of more than this many points
# in a day (plus the sampling noise of a small day, see pipeline/gates.py) means the normaliser met
# a new spelling it cannot read, or the input broke.
MAX_UNKNOWN_OTHER_JUMP = 0.02


@dg.asset(
    **asset_args("model_licenses"),
    check_specs=[
        dg.AssetCheckSpec(
            "unknown_other_share_steady",
            asset="model_licenses",
            blocking=True,
            description=(
                f"The share of unknown-other licenses rises by at most "
                f"{MAX_UNKNOWN_OTHER_JUMP:.0%} points from the previous snapshot, plus the "
                "sampling noise of the two days' sizes."
            ),
        )
    ],
)
def model_licenses(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB, gate_review: GateReview
) -> dg.MaterializeResult:
    layout = output.layout
    day = date.fromisoformat(context.partition_key)
    with duckdb.connect(layout) as conn:
        result = build_model_licenses(layout, day, conn)
        share = unknown_other_share(layout, day, conn)
        previous_day, unlike = previous_to_compare(layout, "model_licenses", day)
        previous = unknown_other_share(layout, previous_day, conn) if previous_day else None
        previous_n = (
            partition_rows(conn, layout.table_partition(TABLE, previous_day)) if previous_day else 0
        )
    gate = share_gate(
        "unknown-other licenses", share, result.rows, previous, previous_n, MAX_UNKNOWN_OTHER_JUMP
    )
    # A source unlike the previous one's is checked on its own, and the check says why.
    gate = replace(gate, description=gate.description + unlike)
    check = gate_review.gate_check(layout, day, "unknown_other_share_steady", gate)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": result.rows,
            "distinct_declarations": result.distinct_declarations,
            "by_category": dg.MetadataValue.json(result.category_counts),
            "unknown_other_share": round(share, 4),
        },
        check_results=[check],
    )
