-- one row per model of a staged partition: normalised licence and openness evidence.
-- needs: variables staged_path and model_datasets_path, temp table license_map
-- (pipeline/licenses/build.py), table licenses
with

-- whether the day's source carries cards at all, for a partition staged before staging said it
-- of each record's recording (`source_has_cards`): in one that does, a record without a card has
-- no card metadata (no code link in it); in one that does not (a listing that did not ask for
-- cards, the 2021-22 listings) a record's card evidence is unknown, not absent
source_cards as (
    select count(*) > 0 as has_cards,
    from (
        -- the first card found ends the scan; which one does not matter
        select 1 as card,
        from read_parquet($staged_path)
        where card_data is not null
        limit 1  -- noqa: AM09
    )
),

staged as not materialized (
    select
        file_row_number,
        snapshot_date,
        model_id,
        tags,
        siblings,
        -- one string per file list: one regex over it is much cheaper than one per file
        '|' || array_to_string(coalesce(siblings, []), '|') || '|' as files,
        gguf_present,
        parameter_count,
        base_model_tags,
        card_base_model,
        card_base_model_relation,
        card_datasets,
        card_data,
        -- the card's evidence is known when the card is an object, or absent from a full item
        -- (one with tags) of a source that carries cards: the record's own recording, on a date
        -- that combines several. A card left as text (staging reads YAML text it can read
        -- safely, pipeline/cards.py) is not read, and an item without tags is a partial answer
        -- (`expand`): unknown, both
        case
            when card_data is null
                then coalesce(source_has_cards, source_cards.has_cards) and tags is not null
            -- the JSON text of an object starts with `{`
            else starts_with(card_data::varchar, '{')
        end as card_known,
        -- the licence is declared in the tags (the Hub's reading of the card) or the card: a
        -- record that shows neither (an `expand` answer) says nothing of it, not "none"
        tags is not null or card_known as declaration_known,
        license_tags,
        card_license,
        card_license_name,
        card_license_link,
    from (
        select *, from read_parquet($staged_path, file_row_number = true)
        -- a partition staged before the column existed lacks it: null, the day decides
        union all by name
        select null::boolean as source_has_cards, where false
    )
    cross join source_cards
),

weight_files as not materialized (
    select
        *,
        -- training state is not weights: drop it first (only when such a name is present)
        if(
            regexp_matches(files, '(?i)(training_args|optimizer|scheduler|rng_state|scaler|trainer_state)'),
            regexp_replace(
                files,
                '(?i)([|/])(training_args|optimizer|scheduler|rng_state[^|/]*|scaler|trainer_state)'
                || '\.(bin|pt|pth)\|',
                '\1|',
                'g'
            ),
            files
        ) as model_files,
    from staged
),

declared as (
    select
        staged.file_row_number,
        staged.snapshot_date,
        staged.model_id,
        license_map.license_raw,
        license_map.license_ids,
        license_map.license_id,
        license_map.license_category,
        license_map.license_osi_approved,
        license_map.license_commercial_use,
        license_map.license_source,
        license_map.license_is_family,
        license_map.license_unresolved,
        license_map.license_conflict,
        license_map.linked_repo,
        case
            -- no file list and no weight metadata in the source (an older listing, a dump):
            -- whether weights were released is unknown, not "no"
            when
                staged.siblings is null
                and staged.parameter_count is null
                and not coalesce(staged.gguf_present, false)
                then null
            else
                regexp_matches(
                    staged.model_files,
                    '(?i)(\.(safetensors|gguf|onnx|ckpt|h5|msgpack|tflite|nemo|ggml|pt|pth|bin|keras)'
                    || '|[|/]variables\.data-\d+-of-\d+)\|'
                )
                or coalesce(staged.gguf_present, false)
                -- no file list (a Parquet dump): the safetensors metadata (its parameter count)
                -- shows weights then
                or (staged.siblings is null and staged.parameter_count is not null)
        end as has_weight_files,
        -- unknown without a file list
        case
            when staged.siblings is null then null
            when regexp_matches(staged.files, '(?i)(train|tune|run_)')
                then list_filter(
                    staged.siblings,
                    lambda f: regexp_matches(
                        f,
                        '(?i)((^|/)(train|training|finetune|fine_tune|pretrain|run_clm|run_mlm)[^/]*'
                        || '|(^|/)training/.*)\.(py|sh|ipynb)$'
                    )
                )
            else []
        end as training_code_files,
        -- licence text shipped with the weights: LICENSE, LICENSE.md, License.txt, COPYING,
        -- NOTICE, USE_POLICY.md, CogVideoX_LICENSE, LICENSE-MODEL; unknown without a file list
        if(
            staged.siblings is null,
            null,
            regexp_matches(
                staged.files,
                '(?i)[|/]([^|/]*[_.-])?(license|licence|copying|notice|use_policy)s?'
                || '([_-](model|models|weights|code|agreement))?(\.[a-z0-9]{1,8})?\|'
            )
        ) as has_license_file,
        coalesce(staged.card_base_model_relation = 'adapter', false)
        or list_bool_or(list_transform(
            coalesce(staged.base_model_tags, []), lambda t: starts_with(t, 'base_model:adapter:')
        ))
        or contains(staged.files, '|adapter_config.json|') as is_adapter,
        staged.base_model_tags,
        staged.card_base_model,
        -- the Hub tags a model with the datasets its card declares, so either source tells;
        -- unknown when the record has neither tags nor a card that can be read
        case
            when staged.declaration_known
                then list_distinct(
                    coalesce(staged.card_datasets, [])
                    || list_transform(
                        list_filter(coalesce(staged.tags, []), lambda t: starts_with(t, 'dataset:')),
                        lambda t: t[9:]
                    )
                )
        end as training_datasets,
        -- unknown without tags
        list_transform(
            list_filter(staged.tags, lambda t: starts_with(t, 'arxiv:')),
            lambda t: t[7:]
        ) as arxiv_ids,
        -- a code link anywhere in the card except its licence, gating (every `extra_gated_*`
        -- field), dataset, evaluation and widget fields: a link to a LICENSE file, to training
        -- data, to the benchmark that scored the model (model-index results' `source.url`, e.g.
        -- FastChat's MT-Bench or AlpacaEval) or to an example input is not this model's code.
        -- Unknown when the card's evidence is (card_known).
        case
            when not staged.card_known then null
            when contains(staged.card_data::varchar, 'github.com')
                or contains(staged.card_data::varchar, 'gitlab.com')
                then list_distinct(regexp_extract_all(
                    json_merge_patch(
                        staged.card_data,
                        -- {"field": null, ...} takes those fields out; the keys made distinct, since
                        -- a card may hold a key twice and a map's keys must be unique
                        to_json(map_from_entries(list_transform(
                            list_distinct(list_filter(
                                json_keys(staged.card_data),
                                lambda k: k in (
                                    'license', 'license_name', 'license_link', 'datasets',
                                    'model-index', 'widget'
                                )
                                or starts_with(k, 'extra_gated_')
                            )),
                            lambda k: { 'k': k, 'v': null::json }
                        )))
                    )::varchar,
                    'https?://(?:www\.)?(?:github\.com|gitlab\.com)/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+'
                ))
            else []
        end as code_links,
    from weight_files as staged
    -- an unknown declaration matches nothing: every licence column null
    left join license_map
        on staged.declaration_known
        and staged.license_tags is not distinct from license_map.license_tags
        and staged.card_license is not distinct from license_map.card_license
        and staged.card_license_name is not distinct from license_map.card_license_name
        and staged.card_license_link is not distinct from license_map.card_license_link
),

-- a `license_link` to another Hub repo's LICENSE takes that repo's own licence, read this day
linked_keys as (
    select distinct lower(linked_repo) as target_key,
    from declared
    where linked_repo is not null
),

link_targets as (
    select
        lower(declared.model_id) as target_key,
        declared.license_ids,
        declared.license_id,
        declared.license_category,
        declared.license_osi_approved,
        declared.license_commercial_use,
        declared.license_is_family,
    from declared
    semi join linked_keys
        on lower(declared.model_id) = linked_keys.target_key
    where declared.linked_repo is null
        and declared.license_category not in ('unknown-other', 'none')
    qualify row_number() over (partition by lower(declared.model_id) order by declared.model_id) = 1
),

-- an adapter's weights are usable only with its base's: look the bases up in the same snapshot
adapter_base_ids as (
    select
        model_id,
        lower(unnest(list_distinct(
            list_transform(
                coalesce(base_model_tags, []),
                lambda t: regexp_replace(t, '^base_model:((adapter|merge|quantized|finetune):)?', '')
            )
            || coalesce(card_base_model, [])
        ))) as base_key,
    from declared
    where is_adapter and has_weight_files
),

adapter_bases as (
    select
        adapter_base_ids.model_id,
        bool_or(bases.has_weight_files) as base_has_weights,
        -- a base whose source says nothing of its files (a dump): its weights are unknown
        bool_or(bases.has_weight_files is null) as base_weights_unknown,
    from adapter_base_ids
    inner join (
        select lower(declared.model_id) as base_key, declared.has_weight_files,
        from declared
        semi join adapter_base_ids
            on lower(declared.model_id) = adapter_base_ids.base_key
    ) as bases
        using (base_key)
    group by adapter_base_ids.model_id
),

-- open data: every declared training dataset is public on the Hub under an open licence
-- (`hub_datasets_open`), or is that or documented elsewhere (`external_documented`: a link to data
-- outside the Hub, which the census cannot check: an upper bound)
data_basis as (
    select
        model_id,
        case
            when bool_and(status in ('resolved', 'renamed') and is_open) then 'hub_datasets_open'
            when bool_and((status in ('resolved', 'renamed') and is_open) or status = 'external')
                then 'external_documented'
        end as open_data_basis,
    from read_parquet($model_datasets_path)
    group by model_id
),

resolved as (
    select
        declared.file_row_number,
        declared.snapshot_date,
        declared.model_id,
        declared.license_raw,
        coalesce(link_targets.license_ids, declared.license_ids) as license_ids,
        coalesce(link_targets.license_id, declared.license_id) as license_id,
        coalesce(link_targets.license_category, declared.license_category) as license_category,
        if(
            link_targets.target_key is null,
            declared.license_osi_approved,
            link_targets.license_osi_approved
        ) as license_osi_approved,
        coalesce(
            link_targets.license_commercial_use, declared.license_commercial_use
        ) as license_commercial_use,
        if(
            link_targets.target_key is null, declared.license_source, 'license_link'
        ) as license_source,
        coalesce(link_targets.license_is_family, declared.license_is_family) as license_is_family,
        declared.license_unresolved,
        declared.license_conflict,
        declared.linked_repo as license_linked_repo,
        declared.has_weight_files,
        declared.is_adapter,
        -- unknown when the source says nothing of the files, the adapter's or, when none of its
        -- bases here shows weights, a base's. An adapter with none of its bases in a snapshot of
        -- the whole Hub ($whole_hub) has no usable weights (deleted, private); in a subset its
        -- bases may just lie outside it.
        case
            when declared.has_weight_files is null then null
            when not declared.has_weight_files then false
            when not coalesce(declared.is_adapter, false) then true
            when adapter_bases.base_has_weights then true
            when adapter_bases.base_weights_unknown then null
            when adapter_bases.model_id is null and not $whole_hub then null
            else false
        end as weights_available,
        declared.training_datasets,
        declared.arxiv_ids,
        declared.code_links,
        declared.training_code_files,
        declared.has_license_file,
        -- true when either shows code, false when both are known to show none, else unknown
        len(declared.code_links) > 0 or len(declared.training_code_files) > 0 as has_training_code,
        len(declared.arxiv_ids) > 0 as has_technical_report,
        len(declared.training_datasets) > 0 as has_training_data,
        data_basis.open_data_basis,
    from declared
    left join link_targets
        on lower(declared.linked_repo) = link_targets.target_key
    left join adapter_bases
        on declared.model_id = adapter_bases.model_id
    left join data_basis
        on declared.model_id = data_basis.model_id
),

final as (
    select
        resolved.file_row_number,
        resolved.snapshot_date,
        resolved.model_id,
        resolved.license_raw,
        resolved.license_ids,
        resolved.license_id,
        resolved.license_category,
        license_categories.category_rank as license_category_rank,
        resolved.license_osi_approved,
        resolved.license_commercial_use,
        resolved.license_source,
        resolved.license_is_family,
        resolved.license_unresolved,
        resolved.license_conflict,
        resolved.license_linked_repo,
        resolved.has_weight_files,
        resolved.is_adapter,
        resolved.weights_available,
        resolved.training_datasets,
        resolved.arxiv_ids,
        resolved.code_links,
        resolved.training_code_files,
        resolved.has_training_code,
        resolved.has_technical_report,
        resolved.has_training_data,
        resolved.open_data_basis,
        resolved.has_license_file,
        license_grant(resolved.license_category) as license_grant,
        case
            -- unknown evidence gives no tier: it neither counts as open nor caps a descendant
            when resolved.weights_available is null then null
            when not resolved.weights_available then 'none'
            when license_grant(resolved.license_category) not in ('open', 'restricted')
                then 'weights_available'
            -- code that is not known to be released is not shown: open weights at most
            when not coalesce(resolved.license_osi_approved, false)
                or not coalesce(resolved.has_training_code, false)
                then 'open_weights'
            when resolved.open_data_basis is not null then 'open_data'
            else 'open_source'
        end as openness_tier,
    from resolved
    left join license_categories
        on resolved.license_category = license_categories.category
)

-- the staged partition's row order (the raw listing's) keeps the output deterministic
select * exclude (file_row_number), from final
order by file_row_number
