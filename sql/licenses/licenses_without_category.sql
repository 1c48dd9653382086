-- seed rows whose category is missing from license_categories (the inner join in load_licenses drops them)
select count(*) as rows_without_category,
from read_csv($licenses_csv, header = true, all_varchar = true) as seed
anti join licenses
    on seed.license_id = licenses.license_id
