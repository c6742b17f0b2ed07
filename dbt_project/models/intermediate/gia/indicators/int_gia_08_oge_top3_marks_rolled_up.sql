-- GIA-08 Доля выпускников 9 классов с суммой отметок трёх лучших предметов ОГЭ >= 12 =
-- 9th-grade graduates with >= 3 ОГЭ/ГВЭ marks whose 3 best marks sum to >= 12 / those with
-- >= 3 marks. Person-level (level 9, attributed school / municipality, category ВТГ).

{{ config(**incremental_by_year()) }}

with

person_results as (
    select * from {{ ref('int_gia_person_results') }} {{ incremental_years_filter() }}
),

graduates_with_3_marks as (
    select
        person_key,
        year,
        ate_code,
        school_code,
        {{ sum_of_best('mark', 3) }} as top3_sum,
        min(load_id) as load_id
    from person_results
    where gia_level = 9 and is_graduate and exam in ('ОГЭ', 'ГВЭ') and mark is not null
    group by person_key, year, ate_code, school_code
    having count(*) >= 3
),

indicator as (
    {{ rollup_indicator(
        'GIA-08', 'graduates_with_3_marks', 'share',
        numerator='(top3_sum >= 12)::integer', denominator='1', lineage=true
    ) }}
)

select * from indicator
