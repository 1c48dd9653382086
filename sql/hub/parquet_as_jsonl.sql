-- a Parquet dump as JSON Lines for the replay: one object per row, nested columns as JSON
copy (select * from read_parquet($source)) to $target (format json, compression gzip)
