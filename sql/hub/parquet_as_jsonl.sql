-- a Parquet dump as JSON Lines for the replay: one object per row, nested columns as JSON;
-- uncompressed (the replay compresses its page itself, several times faster than this writer)
copy (select * from read_parquet($source)) to $target (format json, compression none)
