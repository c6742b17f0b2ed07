-- GIA-06 Доля выпускников с суммой трёх лучших предметов ЕГЭ >= 220 = graduates with >= 3
-- test-scored subjects whose 3 best test scores sum to >= 220 / graduates with >= 3
-- test-scored subjects. Person-level (attributed school / municipality, category ВТГ).

{{ config(**incremental_by_year()) }}

with

person_results as (
    select * from {{ ref('int_gia_person_results') }} {{ incremental_years_filter() }}
),

graduates_with_3_subjects as (
    select
        person_key,
        year,
        ate_code,
        school_code,
        {{ sum_of_best('test_score', 3) }} as top3_sum,
        min(load_id) as load_id
    from person_results
    where gia_level = 11 and is_graduate and exam = 'ЕГЭ' and is_test_scored
    group by person_key, year, ate_code, school_code
    having count(*) >= 3
),

indicator as (
    {{ rollup_indicator(
        'GIA-06', 'graduates_with_3_subjects', 'share',
        numerator='(top3_sum >= 220)::integer', denominator='1', lineage=true
    ) }}
)

select * from indicator
