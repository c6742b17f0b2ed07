-- One row per territory: the region (code `00`), every municipality of the registry and every
-- school of the registry with its municipality. Where a registry was loaded more than once,
-- the newest load's row wins. The region's name is that of the municipalities file's `00`
-- row if there is one, else `Регион`.

with

municipalities as (
    select * from {{ ref('stg_reference__municipalities') }}
),

schools as (
    select * from {{ ref('stg_reference__schools') }}
),

municipalities_latest as (
    select distinct on (ate_code) *
    from municipalities
    where ate_code is not null
    order by ate_code asc, load_id desc, source_row desc
),

schools_latest as (
    select distinct on (school_code) *
    from schools
    where school_code is not null
    order by school_code asc, load_id desc, source_row desc
),

region_row as (
    select municipality_name
    from municipalities_latest
    where is_region_row
),

region as (
    select
        'region'::text as territory_level,
        '00'::text as territory_code,
        coalesce(max(region_row.municipality_name), 'Регион') as territory_name,
        null::text as ate_code
    from region_row
),

municipality_territories as (
    select
        'municipality'::text as territory_level,
        ate_code as territory_code,
        municipality_name as territory_name,
        ate_code
    from municipalities_latest
    where not is_region_row
),

school_territories as (
    select
        'school'::text as territory_level,
        school_code as territory_code,
        school_name as territory_name,
        ate_code
    from schools_latest
),

unioned as (
    select * from region
    union all
    select * from municipality_territories
    union all
    select * from school_territories
)

select * from unioned
