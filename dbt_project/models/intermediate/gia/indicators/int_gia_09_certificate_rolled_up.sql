-- GIA-09 П15. Достижение минимального уровня подготовки = graduates reaching the minimum /
-- graduates (category ВТГ) with >= 1 valid result of that level (any form);
-- breakdown_key = '11' / '9'.
-- Level 11: Russian (1) not below minimum (any form) AND (subject 2 not below minimum
-- (any form) OR base maths 22 mark >= 3). Level 9: Russian (1) and maths (2) marks >= 3
-- (ОГЭ or ГВЭ).

with

results as (
    select * from {{ ref('int_gia_results_selected') }}
),

persons as (
    select * from {{ ref('int_gia_persons_attributed') }}
),

graduate_results as (
    select
        persons.person_key,
        persons.year,
        persons.gia_level,
        persons.ate_code,
        persons.school_code,
        bool_or(results.subject_code = 1 and not results.is_below_min) as russian_passed_11,
        bool_or(results.subject_code = 2 and not results.is_below_min) as maths_passed_11,
        bool_or(results.subject_code = 22 and results.mark >= 3) as base_maths_passed_11,
        bool_or(results.subject_code = 1 and results.mark >= 3) as russian_passed_9,
        bool_or(results.subject_code = 2 and results.mark >= 3) as maths_passed_9
    from persons
    inner join results
        on
            persons.person_key = results.person_key
            and persons.year = results.year
            and persons.gia_level = results.gia_level
    where persons.is_graduate
    group by
        persons.person_key,
        persons.year,
        persons.gia_level,
        persons.ate_code,
        persons.school_code
),

facts as (
    select
        year,
        ate_code,
        school_code,
        gia_level::text as breakdown_key,
        case
            when gia_level = 11
                then
                    coalesce(russian_passed_11, false)
                    and (coalesce(maths_passed_11, false) or coalesce(base_maths_passed_11, false))
            else coalesce(russian_passed_9, false) and coalesce(maths_passed_9, false)
        end::integer as numerator,
        1 as denominator
    from graduate_results
),

indicator as (
    {{ rollup_indicator('GIA-09', 'facts', 'share', dims=['breakdown_key']) }}
)

select * from indicator
