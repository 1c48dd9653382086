-- what makes two dates comparable: coverage, source shape, missing fields
select coverage, source_shape, missing_fields,
from read_parquet($path)
