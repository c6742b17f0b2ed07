-- GIA-07 Доля выпускников, сдававших менее трёх предметов, с суммой двух >= 126 = graduates
-- with exactly 2 test-scored subjects whose sum >= 126 / graduates with exactly 2
-- test-scored subjects. Person-level (attributed school / municipality, category ВТГ).

{{ config(**incremental_by_year()) }}

with

person_results as (
    select * from {{ ref('int_gia_person_results') }} {{ incremental_years_filter() }}
),

graduates_with_2_subjects as (
    select
        person_key,
        year,
        ate_code,
        school_code,
        sum(test_score) as score_sum,
        min(load_id) as load_id
    from person_results
    where gia_level = 11 and is_graduate and exam = 'ЕГЭ' and is_test_scored
    group by person_key, year, ate_code, school_code
    having count(*) = 2
),

indicator as (
    {{ rollup_indicator(
        'GIA-07', 'graduates_with_2_subjects', 'share',
        numerator='(score_sum >= 126)::integer', denominator='1', lineage=true
    ) }}
)

select * from indicator
