-- The pages holding records that staging set aside, for the second read of their text.
select distinct raw_page,
from _stage_records
where reason is not null and raw_sha256 is not null
order by raw_page
