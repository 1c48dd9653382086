-- order of the openness tiers (pipeline/licenses/openness.py): higher is more open
create or replace macro openness_tier_rank(tier) as
    case tier
        when 'none' then 0
        when 'weights_available' then 1
        when 'open_weights' then 2
        when 'open_source' then 3
        when 'open_data' then 4
    end
