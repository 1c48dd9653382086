-- what makes two dates comparable: coverage, source shape, missing fields, and the source's
-- bytes (the same as the day before: a copy of that observation, not a new one)
select coverage, source_shape, missing_fields, source_sha256,
from read_parquet($path)
