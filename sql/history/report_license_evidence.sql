-- licence and data evidence per snapshot: models with a licence file among those whose source
-- gave a file list (null has_license_file is unknown, not absent), and models declaring data
-- among those whose source shows their tags or card (null has_training_data is unknown)
select
    snapshot_date,
    count(*) as models,
    count(has_license_file) as with_file_list,
    count(*) filter (where has_license_file) as with_license_file,
    count(*) filter (where has_training_data) as with_training_data,
    count(*) filter (where openness_tier = 'open_data') as open_data,
    count(has_training_data) as with_data_evidence,
from read_parquet($paths, hive_partitioning = false, union_by_name = true)
where not coalesce(is_private, false)
group by all
order by all
