-- The licenses and downloads of the models of one family (`$model_ids`), as the release lists
-- them. One row per model present in the release.
select
    models.model_id,
    models.license_id,
    models.license_category,
    models.downloads_30d,
from models
where models.model_id in (select unnest($model_ids::varchar[]))
