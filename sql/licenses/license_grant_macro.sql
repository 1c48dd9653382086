-- what a licence category grants the public (pipeline/licenses/openness.py LICENSE_GRANT):
-- open (no use restrictions), restricted (use restrictions), unknown (undecidable) or none
create or replace macro license_grant(category) as
    case
        when category in ('public-domain', 'permissive', 'weak-copyleft', 'strong-copyleft')
            then 'open'
        when category in ('rail-use-restricted', 'community-restricted', 'non-commercial')
            then 'restricted'
        when category = 'none' then 'none'
        else 'unknown'
    end
