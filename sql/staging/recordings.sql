-- What each recording of the day carries, for the stages that tell "unknown" from "none" by it
-- (models_staged.source_has_cards, source_names_parents): whether any of its staged records has a
-- card (a record without one then has none) and whether any names a parent in its tags (the Hub
-- has added `base_model:` tags since 2023: a record with tags and without one then has no
-- declared parent). One recording unless the date combines several (`--combine`).
select
    recording,
    count(*) as models,
    bool_or(card_data is not null) as has_cards,
    coalesce(bool_or(len(base_model_tags) > 0), false) as names_parents,
from _stage_records
where reason is null
group by recording
order by recording
