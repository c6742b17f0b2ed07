-- GIA-05 Доля выпускников, получивших 100 баллов = graduates with >= 1 result of 100 /
-- graduates with >= 1 ЕГЭ result with a test score. Person-level: a graduate is a person of
-- (attributed) category ВТГ, counted at their attributed school / municipality.

{{ config(**incremental_by_year()) }}

with

person_results as (
    select * from {{ ref('int_gia_person_results') }} {{ incremental_years_filter() }}
),

graduates as (
    select
        person_key,
        year,
        ate_code,
        school_code,
        bool_or(test_score = 100) as has_hundred,
        min(load_id) as load_id
    from person_results
    where gia_level = 11 and is_graduate and exam = 'ЕГЭ' and is_test_scored
    group by person_key, year, ate_code, school_code
),

indicator as (
    {{ rollup_indicator(
        'GIA-05', 'graduates', 'share', numerator='has_hundred::integer', denominator='1', lineage=true
    ) }}
)

select * from indicator
