from datetime import date

import dagster as dg

from pipeline import gates
from pipeline.defs.resources import DuckDB, GateReview, OutputRoot
from pipeline.defs.specs import asset_args
from pipeline.models import TABLE, build_models, openness_tier_counts

GATES = {
    "model_count_steady": "The model count falls by at most the set share from the previous day.",
    "unique_model_ids": "Every model id appears once.",
    "key_null_rates_steady": "Null rates of key columns do not jump from the previous day.",
}


@dg.asset(
    **asset_args("models"),
    check_specs=[
        dg.AssetCheckSpec(name, asset="models", blocking=True, description=text)
        for name, text in GATES.items()
    ],
)
def models(
    context: dg.AssetExecutionContext, output: OutputRoot, duckdb: DuckDB, gate_review: GateReview
) -> dg.MaterializeResult:
    layout = output.layout
    day = date.fromisoformat(context.partition_key)
    with duckdb.connect(layout) as conn:
        path, rows = build_models(layout, day, conn)
        today = gates.profile(conn, layout, TABLE, day)
        previous_day, unlike = gates.previous_to_compare(layout, TABLE, day)
        previous = gates.profile(conn, layout, TABLE, previous_day) if previous_day else None
        tiers = openness_tier_counts(conn, path)
    results = {
        "model_count_steady": gates.model_count_gate(today, previous),
        "unique_model_ids": gates.unique_ids_gate(today),
        "key_null_rates_steady": gates.null_rate_gate(today, previous),
    }
    if unlike:
        for name in ("model_count_steady", "key_null_rates_steady"):
            gate = results[name]
            results[name] = gates.GateResult(
                gate.passed, "checked on its own" + unlike, gate.metadata
            )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "dagster/uri": str(path),
            "previous_snapshot": str(previous_day) if previous_day else "none",
            "by_openness_tier": dg.MetadataValue.json(tiers),
        },
        check_results=[
            gate_review.gate_check(layout, day, name, gate) for name, gate in results.items()
        ],
    )
