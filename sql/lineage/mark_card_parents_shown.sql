-- A record that shows its card can name its parents (`cardData.base_model`), whatever its tags
-- show (load_models.sql). Input: $staged_path, the day's models_staged partition.
update lin_models
set parents_shown = true
where
    not parents_shown
    and model_id in (
        select model_id, from read_parquet($staged_path)
        where card_data is not null
    )
