-- GIA-09 П15. Достижение минимального уровня подготовки = graduates reaching the minimum /
-- graduates (category ВТГ) with >= 1 valid result of that level (any form);
-- breakdown_key = '11' / '9'.
-- Level 11: Russian (1) not below minimum (any form) AND (subject 2 not below minimum
-- (any form) OR base maths 22 mark >= 3). Level 9: Russian (1) and maths (2) marks >= 3
-- (ОГЭ or ГВЭ).

{{ config(**incremental_by_year()) }}

with

person_results as (
    select * from {{ ref('int_gia_person_results') }} {{ incremental_years_filter() }}
),

graduates as (
    select
        year,
        ate_code,
        school_code,
        gia_level::text as breakdown_key,
        bool_or(subject_code = 1 and not is_below_min) as russian_passed_11,
        bool_or(subject_code = 2 and not is_below_min) as maths_passed_11,
        bool_or(subject_code = 22 and mark >= 3) as base_maths_passed_11,
        bool_or(subject_code = 1 and mark >= 3) as russian_passed_9,
        bool_or(subject_code = 2 and mark >= 3) as maths_passed_9,
        min(load_id) as load_id
    from person_results
    where is_graduate
    group by person_key, year, gia_level, ate_code, school_code
),

facts as (
    select
        year,
        ate_code,
        school_code,
        breakdown_key,
        load_id,
        case breakdown_key
            when '11'
                then
                    coalesce(russian_passed_11, false)
                    and (coalesce(maths_passed_11, false) or coalesce(base_maths_passed_11, false))
            else coalesce(russian_passed_9, false) and coalesce(maths_passed_9, false)
        end::integer as numerator
    from graduates
),

indicator as (
    {{ rollup_indicator(
        'GIA-09', 'facts', 'share', dims=['breakdown_key'], denominator='1', lineage=true
    ) }}
)

select * from indicator
