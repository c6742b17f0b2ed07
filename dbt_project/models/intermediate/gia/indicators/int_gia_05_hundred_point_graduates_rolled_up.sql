-- GIA-05 Доля выпускников, получивших 100 баллов = graduates with >= 1 result of 100 /
-- graduates with >= 1 ЕГЭ result with a test score. Person-level: a graduate is a person of
-- (attributed) category ВТГ, counted at their attributed school / municipality.

with

results as (
    select * from {{ ref('int_gia_results_selected') }}
),

persons as (
    select * from {{ ref('int_gia_persons_attributed') }}
),

graduate_scores as (
    select
        persons.person_key,
        persons.year,
        persons.ate_code,
        persons.school_code,
        bool_or(results.test_score = 100) as has_hundred
    from persons
    inner join results
        on
            persons.person_key = results.person_key
            and persons.year = results.year
            and persons.gia_level = results.gia_level
    where
        persons.gia_level = 11
        and persons.is_graduate
        and results.exam = 'ЕГЭ'
        and results.is_test_scored
    group by persons.person_key, persons.year, persons.ate_code, persons.school_code
),

facts as (
    select
        year,
        ate_code,
        school_code,
        has_hundred::integer as numerator,
        1 as denominator
    from graduate_scores
),

indicator as (
    {{ rollup_indicator('GIA-05', 'facts', 'share') }}
)

select * from indicator
