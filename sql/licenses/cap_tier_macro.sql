-- a model is never more open than its base: the lower of the two tiers (a missing base does not cap)
create or replace macro cap_tier(tier, base_tier) as
    case
        when base_tier is null then tier
        when openness_tier_rank(base_tier) < openness_tier_rank(tier) then base_tier
        else tier
    end
