-- Share of models that ship no license text (no LICENSE, COPYING, NOTICE or USE_POLICY file in
-- their file list) per snapshot date, over every published release; models whose file list the
-- source did not give are counted apart, not as missing text.
select
    snapshot_date,
    count(*) as count_models,
    count(has_license_file) as count_with_file_list,
    count(*) filter (where has_license_file) as count_with_license_file,
    count(*) filter (where not has_license_file) / count(has_license_file) as share_without_license_text,
from models_history
group by snapshot_date
order by snapshot_date
