-- The licenses and downloads of the models of one family (`$model_ids`), as the release lists
-- them, and whether their parents and children are unknown (docs/LINEAGE.md, "A record that
-- cannot name its parents"). One row per model present in the release.
select
    models.model_id,
    models.license_id,
    models.license_category,
    models.downloads_30d,
    models.base_models is null as parents_unknown,
    models.n_children is null as children_unknown,
from models
where models.model_id in (select unnest($model_ids::varchar[]))
