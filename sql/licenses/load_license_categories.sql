create or replace table license_categories as
select
    category,
    category_rank,
    description,
from read_csv(
    $license_categories_csv,
    header = true,
    columns = { 'category': 'varchar', 'category_rank': 'integer', 'description': 'varchar' }
)
