-- A huggingface_hub ModelInfo saved with `dataclasses.asdict` writes every card as `{}`, whatever
-- the card said: ModelCardData is a dataclass that declares no fields (it keeps the card's keys
-- as plain attributes), so asdict copies none of them. Read as they are, such empty cards say "no
-- code link, no dataset" for every model: evidence of absence a source of real cards never gives.
-- So when a recording's cards are all empty objects, none of them is a card: they are unknown
-- (null, and `cardData` absent from field_coverage), as in a source that carries no cards. One
-- real card of the recording keeps every empty card of it as it is; a date that combines
-- recordings (`--combine`) decides for each on its own. A recording of a few models whose cards
-- are genuinely empty reads as unknown too: the cautious error.
update _stage_records
set
    card_data = null,
    -- the struct's field is named as the source names it
    fields_present = struct_update(fields_present, cardData := false)  -- noqa: CP02
where
    reason is null
    and card_data::varchar = '{}'
    and recording not in (
        select distinct other.recording,
        from _stage_records as other
        where
            other.reason is null
            and starts_with(other.card_data::varchar, '{')
            and other.card_data::varchar <> '{}'
    )
