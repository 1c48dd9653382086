select
    count(*) as models,
    coalesce(avg((license_category = 'unknown-other')::double), 0.0) as unknown_other_share,
from read_parquet($model_licenses_path)
