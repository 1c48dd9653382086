-- Rows of the `licenses` reference table loaded from the seed.
select count(*) as licenses,
from licenses
