-- the tier of a rank of openness_tier_rank (pipeline/licenses/openness.py)
create or replace macro openness_tier_of_rank(tier_rank) as
    case tier_rank
        when 0 then 'none'
        when 1 then 'weights_available'
        when 2 then 'open_weights'
        when 3 then 'open_source'
        when 4 then 'open_data'
    end
