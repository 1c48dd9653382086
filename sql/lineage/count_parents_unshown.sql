-- Models whose tags do not show their parents (load_models.sql): their card may.
select count(*) filter (where not parents_shown) as unshown,
from lin_models
