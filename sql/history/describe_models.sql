-- the columns of one `models` partition, to refuse one that lacks what history reads
describe select *, from read_parquet($path, hive_partitioning = false)
