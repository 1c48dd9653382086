-- the previous snapshot's creation timeline that a day's changes are added to (empty when the day
-- builds its timeline from every model)
create or replace temp table hist_timeline_base (
    created_period varchar,
    period_start date,
    dimension varchar,
    value varchar,
    models bigint,
)
