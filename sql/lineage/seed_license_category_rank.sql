-- License categories ranked from most open (1) to most restrictive (9), from the licenses stage's
-- seed `sql/seeds/license_categories.csv` ($license_categories_csv): a model is
-- never more open than the most restrictive category along its ancestry.
create or replace temp table lin_license_rank as
select
    category,
    category_rank as restrictiveness_rank,
from read_csv(
    $license_categories_csv,
    header = true,
    columns = { 'category': 'varchar', 'category_rank': 'integer', 'description': 'varchar' }
)
