-- declared training datasets by resolution status, in one model_datasets partition
select status, count(*), from read_parquet($model_datasets_path) group by status
