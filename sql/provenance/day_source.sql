-- what makes two dates comparable: coverage, source shape, missing fields, the subset's name, and
-- the source's bytes (the same as the day before: a copy of that observation, not a new one).
-- Every column, read by name: a partition written before a column existed lacks it.
select *,
from read_parquet($path)
