create or replace table licenses as
with

seed as (
    select *
    from read_csv(
        $licenses_csv,
        header = true,
        nullstr = '',
        columns = {
            'license_id': 'varchar',
            'spdx_id': 'varchar',
            'name': 'varchar',
            'category': 'varchar',
            'osi_approved': 'boolean',
            'commercial_use': 'varchar',
            'url': 'varchar',
            'is_family': 'boolean',
            'status': 'varchar',
            'source': 'varchar',
            'note': 'varchar',
        }
    )
),

ranked as (
    select
        seed.license_id,
        seed.spdx_id,
        seed.name,
        seed.category,
        license_categories.category_rank,
        seed.osi_approved,
        seed.commercial_use,
        seed.url,
        seed.is_family,
        seed.status,
        seed.source,
        seed.note,
    from seed
    inner join license_categories using (category)
)

select * from ranked
order by license_id
