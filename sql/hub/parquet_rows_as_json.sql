-- The rows of a Parquet dump of the Hub's models, each as one JSON object in file order: structs
-- become objects, lists arrays, timestamps ISO text; columns that hold JSON text stay text.
select to_json(dump)::varchar as item,
from read_parquet($path) as dump
