-- every distinct licence declaration of one staged partition: normalised once each in Python
select distinct
    license_tags,
    card_license,
    card_license_name,
    card_license_link,
from read_parquet($staged_path)
