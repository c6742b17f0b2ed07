-- One row per year × territory (region `00`, municipality = Код АТЕ, school = Код ОО) with
-- any row of uploads/olympiad in that year (any event, stage, status): the territories whose
-- OLY counts are published, 0 where nothing qualifies (indicators.md, Conventions).

{{ config(**incremental_by_year()) }}

with

results as (
    select * from {{ ref('stg_uploads__olympiad_results') }} {{ incremental_years_filter() }}
),

territories as (
    select distinct
        year,
        'region'::text as territory_level,
        '00'::text as territory_code
    from results
    where year is not null
    union
    select distinct
        year,
        'municipality'::text as territory_level,
        ate_code as territory_code
    from results
    where year is not null and ate_code is not null
    union
    select distinct
        year,
        'school'::text as territory_level,
        school_code as territory_code
    from results
    where year is not null and school_code is not null
)

select * from territories
