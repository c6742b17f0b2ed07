-- One row per year × territory (region `00`, municipality = Код АТЕ, school = Код ОО) with a
-- school career report in that year (int_career_reports_deduplicated): the territories whose
-- CAR counts (CAR-05 … 08) are published, 0 where nothing is counted.

{{ config(**incremental_by_year()) }}

with

reports as (
    select * from {{ ref('int_career_reports_deduplicated') }} {{ incremental_years_filter() }}
),

territories as (
    select distinct
        year,
        'region'::text as territory_level,
        '00'::text as territory_code
    from reports
    union
    select distinct
        year,
        'municipality'::text as territory_level,
        ate_code as territory_code
    from reports
    where ate_code is not null
    union
    select distinct
        year,
        'school'::text as territory_level,
        school_code as territory_code
    from reports
)

select * from territories
