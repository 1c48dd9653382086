-- A record that shows its card can name its parents (`cardData.base_model`), whatever its tags
-- show (load_models.sql). A card left as text (YAML staging could not read safely,
-- pipeline/cards.py) is not read, as in the licences stage: only an object counts.
-- Input: $staged_path, the day's models_staged partition.
update lin_models
set parents_shown = true
where
    not parents_shown
    and model_id in (
        select model_id, from read_parquet($staged_path)
        -- the JSON text of an object starts with `{`
        where starts_with(card_data::varchar, '{')
    )
