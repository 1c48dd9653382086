-- One row per model that declares a parent: what the snapshot shows about how it was made, for
-- the relation inference when neither the Hub's tags nor the card state it.
create or replace temp table lin_child_hints as
with

staged as (
    select
        model_id,
        card_base_model_relation,
        coalesce(gguf_present, false) as gguf_present,
        -- file names and tags as one newline-framed text each, so that every hint is one plain
        -- string search per model rather than a lambda per list element
        chr(10) || lower(array_to_string(coalesce(siblings, []), chr(10))) || chr(10) as files,
        chr(10) || lower(array_to_string(coalesce(tags, []), chr(10))) || chr(10) as tag_text,
    from read_parquet($staged_path)
    where model_id is not null
        and (len(base_model_tags) > 0 or len(card_base_model) > 0)
),

hinted as (
    select
        model_id,
        case
            when lower(trim(card_base_model_relation))
                in ('finetune', 'adapter', 'quantized', 'merge')
                then lower(trim(card_base_model_relation))
        end as stated_relation,
        card_base_model_relation as stated_relation_raw,
        ---------- booleans
        regexp_matches(files, '[\n/]adapter_(config\.json|model\.safetensors|model\.bin)\n')
            as has_adapter_files,
        gguf_present
        or regexp_matches(files, '\.gguf\n|[\n/]quantize_config\.json\n|\.exl2\n')
        or regexp_matches(tag_text, '\n(gguf|awq|gptq|exl2|4-bit|8-bit|bitsandbytes)\n')
        or regexp_matches(
            lower(model_id), '[-_.](gguf|awq|gptq|exl2|bnb|\d+bit|\d+bpw)([-_.]|$)'
        ) as is_quantized,
        regexp_matches(tag_text, '\n(merge|mergekit)\n') as has_merge_tags,
        regexp_matches(
            files,
            '\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|onnx|gguf|npz|nemo|keras|mlmodel|pdparams|zip)\n'
        ) as has_weight_files,
    from staged
)

select *, from hinted
