-- The working table of a staging run is not left behind on the caller's connection.
drop table if exists _stage_records
