-- One row per parent reference a model's listing gives, per channel.
-- Channels: `tag` (`base_model:<id>`), `relation_tag` (`base_model:<relation>:<id>`), both the
-- Hub's canonical ids; `card` (`cardData.base_model`, as the author typed it).
create or replace temp table lin_refs as
with

models as (
    select
        model_id,
        base_model_tags,
        card_base_model,
    from read_parquet($staged_path)
    where model_id is not null
        and (len(base_model_tags) > 0 or len(card_base_model) > 0)
),

tags as (
    select
        model_id as child_id,
        -- ids cannot hold `:`, so the body is `<id>` or `<relation>:<id>`
        string_split(substr(unnest(base_model_tags), length('base_model:') + 1), ':') as parts,
    from models
),

tag_refs as (
    select
        child_id,
        case when len(parts) = 2 then 'relation_tag' else 'tag' end as channel,
        -- a body with more `:` names no id; it is kept whole and will resolve to nothing
        case
            when len(parts) <= 2 then parts[len(parts)] else array_to_string(parts, ':')
        end as raw_ref,
        case
            when len(parts) = 2 and parts[1] in ('finetune', 'adapter', 'quantized', 'merge')
                then parts[1]
        end as tag_relation,
        null::integer as position,
    from tags
),

card_refs as (
    select
        model_id as child_id,
        'card' as channel,
        unnest(card_base_model) as raw_ref,
        null::varchar as tag_relation,
        unnest(range(1, len(card_base_model) + 1))::integer as position,
    from models
),

all_refs as (
    select *, from tag_refs
    union all
    select *, from card_refs
)

select *, from all_refs
where raw_ref is not null and trim(raw_ref) <> ''
