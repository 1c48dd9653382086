-- Whether a function of this name exists on the connection: a Python function registered on it
-- (pipeline/cards.py) cannot be registered twice.
select count(*) > 0 as function_exists,
from duckdb_functions()
where function_name = $function_name
