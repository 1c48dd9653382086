-- The pages holding records whose text and sha256 the second read fetches.
select distinct raw_page,
from _stage_records
where raw_wanted
order by raw_page
