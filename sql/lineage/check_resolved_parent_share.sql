-- Share of models with at least one parent resolved to a model of the snapshot.
select
    avg(case when n_resolved_parents > 0 then 1.0 else 0.0 end) as share,
from read_parquet($model_lineage_path)
