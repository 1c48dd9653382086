-- Where to look for a model id the release does not list: ids equal to it but for case (the Hub
-- treats ids case-insensitively) or with its name under any owner (`Kokoro-82M` for
-- `hexgrad/Kokoro-82M`), in the releases of the last 31 days (a whole-Hub history is millions of
-- ids a day: an error's hint must not read years of them), each with the latest release that
-- lists it. One row per id, the most recently listed first, a few at most.
with

wanted as (
    select
        lower($model_id) as model_key,
        '/' || lower(regexp_extract($model_id, '[^/]*$')) as name_key,
),

matches as (
    select
        models_history.model_id,
        max(models_history.snapshot_date) as latest,
    from models_history, wanted
    -- the history holds the releases' own files (pipeline/release/history_tree.py): every
    -- day in it is a release
    where models_history.snapshot_date
        >= (select max(snapshot_date) - interval 31 days, from models_history)
        and (
            lower(models_history.model_id) = wanted.model_key
            or ends_with(lower(models_history.model_id), wanted.name_key)
            or lower(models_history.model_id) = substr(wanted.name_key, 2)
        )
    group by models_history.model_id
)

select
    model_id,
    latest,
from matches
order by latest desc, model_id
limit 3
