-- every distinct licence declaration of the day's dataset listing: normalised once each in Python
select distinct
    license_tags,
    card_license,
    card_license_name,
    card_license_link,
from dataset_records
