-- Model-level figures of the quality ledger: one row.
select
    count(*) as n_models,
    count(*) filter (where n_declared_parents > 0) as n_with_declared_parent,
    -- records that cannot name their parents (no card, no base_model tags in the source)
    count(*) filter (where base_models is null) as n_parents_unknown,
    count(*) filter (where n_resolved_parents > 0) as n_with_resolved_parent,
    count(*) filter (where n_missing_parents > 0) as n_with_missing_parent,
    count(*) filter (where is_root) as n_roots,
    count(*) filter (where n_roots > 1) as n_with_several_roots,
    max(lineage_depth) as max_lineage_depth,
    count(*) filter (where has_self_loop) as n_with_self_loop,
    count(*) filter (where is_on_cycle) as n_on_cycle,
from read_parquet($model_lineage_path)
