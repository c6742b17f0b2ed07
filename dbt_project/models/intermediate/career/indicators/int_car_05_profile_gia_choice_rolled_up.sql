-- CAR-05 Число выбравших для ГИА предметы профильного уровня = Σ over the schools' reports
-- of `Выбрали для ГИА предметы профильного уровня`; region, municipalities, schools.
-- Count: value = numerator, denominator NULL; every territory with a report in the year has
-- a row (0 where the sum is 0 or every field is empty).

{{ config(**incremental_by_year()) }}

with

reports as (
    select * from {{ ref('int_career_reports_deduplicated') }} {{ incremental_years_filter() }}
),

territories as (
    select * from {{ ref('int_career_territories_with_rows') }} {{ incremental_years_filter() }}
),

indicator as (
    {{ zero_filled_count_indicator(
        'CAR-05', 'reports', 'territories', numerator='coalesce(profile_gia_choice, 0)', lineage=true
    ) }}
)

select * from indicator
