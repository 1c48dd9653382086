-- Models per openness tier in one `models` partition, for the asset's metadata.
select
    openness_tier,
    count(*) as models,
from read_parquet($path)
group by all
