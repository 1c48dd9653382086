-- A huggingface_hub ModelInfo saved with `dataclasses.asdict` writes every card as `{}`, whatever
-- the card said: ModelCardData is a dataclass that declares no fields (it keeps the card's keys
-- as plain attributes), so asdict copies none of them. Read as they are, such empty cards say "no
-- code link, no dataset" for every model: evidence of absence a day of real cards never gives. So
-- when the day's cards are all empty objects, none of them is a card: they are unknown (null, and
-- `cardData` absent from field_coverage), as in a source that carries no cards. One real card of
-- the day keeps every empty card as it is. A day of a few models whose cards are genuinely empty
-- reads as unknown too: the cautious error.
update _stage_records
set
    card_data = null,
    -- the struct's field is named as the source names it
    fields_present = struct_update(fields_present, cardData := false)  -- noqa: CP02
where
    reason is null
    and card_data::varchar = '{}'
    and not exists (
        -- the first card that is an object with any key ends the scan
        select 1 as card,
        from _stage_records as other
        where
            other.reason is null
            and starts_with(other.card_data::varchar, '{')
            and other.card_data::varchar <> '{}'
    )
