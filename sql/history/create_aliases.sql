-- old ids of models (renamed or gone) and the _id that last held them, per side of the comparison:
-- filled from the lineage stage's `lineage_aliases` partitions of D and P when they exist
create or replace temp table hist_aliases (
    side varchar,
    alias_key varchar,
    model_key varchar,
)
