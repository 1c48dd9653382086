-- The distinct references that are not already a model id as typed: only these need normalising.
select distinct refs.raw_ref,
from lin_refs as refs
anti join lin_models as models
    on models.model_id = refs.raw_ref
order by refs.raw_ref
