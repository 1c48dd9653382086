-- Synthetic models_staged rows for the lineage benchmark (bench/bench_lineage.py), one per model:
-- 30% of models declare a parent (parents skewed towards early models, so families are deep and
-- uneven), 3% of those a second one (a merge), 80% carry the Hub's tags, 7% of card references
-- are messy (case, URL, whitespace, /tree/ links, deleted parents), plus self-loops and 2-cycles.
-- Deterministic: every draw is a hash of the row number.
with

draws as (
    select
        i,
        (hash(i, 1) % 1000) / 1000.0 as u_child,
        (hash(i, 2) % 1000000) / 1000000.0 as u_parent,
        (hash(i, 3) % 1000) / 1000.0 as u_merge,
        (hash(i, 4) % 1000) / 1000.0 as u_mess,
        (hash(i, 5) % 1000) / 1000.0 as u_tag,
        (hash(i, 6) % 1000000) / 1000000.0 as u_parent2,
        hash(i, 7) % 100000 = 0 as is_self_loop,
        hash(i, 8) % 10 = 0 as is_gguf,
    from range($n_models) as t (i)
),

parents as (
    select
        *,
        case
            when i % 500000 = 1 then i + 1
            when i % 500000 = 2 then i - 1
            when is_self_loop then i
            when u_child < 0.3 and i > 0 then floor(i * u_parent * u_parent * u_parent)::bigint
        end as parent_i,
        case
            when u_child < 0.3 and u_merge < 0.03 and i > 1
                then floor(i * u_parent2 * u_parent2)::bigint
        end as parent2_i,
    from draws
),

named as (
    select
        *,
        'org' || (i % 40000) || '/model-' || i as model_id,
        'org' || (parent_i % 40000) || '/model-' || parent_i as parent_id,
        'org' || (parent2_i % 40000) || '/model-' || parent2_i as parent2_id,
    from parents
),

refs as (
    select
        *,
        case
            when parent_i is null then null
            when u_mess < 0.02 then upper(parent_id)
            when u_mess < 0.04 then 'https://huggingface.co/' || parent_id
            when u_mess < 0.05 then ' ' || parent_id || ' '
            when u_mess < 0.06 then 'hf.co/' || parent_id || '/tree/main'
            when u_mess < 0.07 then 'deleted-org/gone-' || i
            else parent_id
        end as card_ref,
        parent_i is not null and u_tag < 0.8 and u_mess >= 0.07 and not is_self_loop as is_tagged,
    from named
),

final as (
    select
        $snapshot_date::date as snapshot_date,
        model_id,
        printf('%024x', i) as hub_id,
        -- models are created in row order, one a second
        timestamp '2022-03-03 00:00:00' + to_seconds(i) as created_at,
        'org' || (i % 40000) as author,
        is_gguf as gguf_present,
        ['transformers', 'safetensors']
        || case
            when is_tagged and parent2_i is not null
                then [
                    'base_model:' || parent_id, 'base_model:merge:' || parent_id,
                    'base_model:' || parent2_id, 'base_model:merge:' || parent2_id,
                ]
            when is_tagged then ['base_model:' || parent_id, 'base_model:finetune:' || parent_id]
            else []
        end as tags,
        list_filter(tags, lambda t: t like 'base_model:%') as base_model_tags,
        case
            when parent_i is null then null
            when parent2_i is not null then [card_ref, parent2_id]
            else [card_ref]
        end as card_base_model,
        null::varchar as card_base_model_relation,
        case
            when is_gguf then ['README.md', 'model-q4_k_m.gguf']
            else ['README.md', 'config.json', 'model.safetensors']
        end as siblings,
    from refs
)

select *, from final
