select
    license_category,
    count(*) as models,
from read_parquet($model_licenses_path)
group by license_category
