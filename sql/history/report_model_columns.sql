-- the columns the models partitions carry (older partitions lack the evidence columns)
select distinct name, from parquet_schema($paths)
