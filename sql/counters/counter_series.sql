-- counter_series: every day from each model's first to its last observation; a day no file
-- observed is a row with `observed` false and null counters, so a gap is explicit, never a zero.
-- A new file's observation replaces an earlier import's for the same model and day.
with

observations as (
    select * exclude (rank_new),
    from (
        select
            *,
            row_number() over (partition by model_id, date order by is_new desc) as rank_new,
        from (
            select model_id, date, downloads_30d, downloads_all_time, likes, source_name,
                source_sha256, true as is_new,
            from counter_new
            union all
            select model_id, date, downloads_30d, downloads_all_time, likes, source_name,
                source_sha256, false as is_new,
            from counter_old
        )
    )
    where rank_new = 1
),

spans as (
    select model_id, min(date) as first_date, max(date) as last_date,
    from observations
    group by model_id
),

days as (
    select spans.model_id, unnest(generate_series(first_date, last_date, interval 1 day))::date as date,
    from spans
),

joined as (
    select
        days.model_id,
        days.date,
        observations.model_id is not null as observed,
        observations.downloads_30d,
        observations.downloads_all_time,
        observations.likes,
        observations.source_name,
        observations.source_sha256,
        -- the last observation on or before the day that carried an all-time counter
        max(case when observations.downloads_all_time is not null then days.date end) over (
            partition by days.model_id order by days.date
            rows between unbounded preceding and 1 preceding
        ) as previous_counter_date,
        max(case when observations.model_id is not null then days.date end) over (
            partition by days.model_id order by days.date
            rows between unbounded preceding and current row
        ) as last_observed,
    from days
    left join observations using (model_id, date)
)

select
    joined.model_id,
    joined.date,
    joined.observed,
    joined.downloads_30d,
    joined.downloads_all_time,
    joined.likes,
    (joined.date - joined.last_observed)::integer as days_since_observed,
    -- downloads between two observations of the all-time counter; null across a correction
    case
        when joined.downloads_all_time >= previous.downloads_all_time
            then joined.downloads_all_time - previous.downloads_all_time
    end as downloads_all_time_delta,
    case
        when joined.downloads_all_time is not null
            then (joined.date - joined.previous_counter_date)::integer
    end as delta_days,
    joined.source_name,
    joined.source_sha256,
from joined
left join observations as previous
    on previous.model_id = joined.model_id and previous.date = joined.previous_counter_date
order by joined.model_id, joined.date
