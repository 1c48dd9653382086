-- Staged records whose card stayed text (not an object): a YAML card outside pipeline/cards.py's
-- bounds, or any other card that is not an object. Its licence names, parents, datasets and code
-- links are unknown; the text itself is kept in `models_staged.card_data`.
select count(*) as cards_as_text,
from _stage_records
where
    reason is null
    and card_data is not null
    and not starts_with(card_data::varchar, '{')
