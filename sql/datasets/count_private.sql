-- records of the dataset listing dropped as private (never published)
select count(*), from dataset_records where is_private
