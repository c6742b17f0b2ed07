-- GIA-07 Доля выпускников, сдававших менее трёх предметов, с суммой двух >= 126 = graduates
-- with exactly 2 test-scored subjects whose sum >= 126 / graduates with exactly 2
-- test-scored subjects. Person-level (attributed school / municipality, category ВТГ).

with

results as (
    select * from {{ ref('int_gia_results_selected') }}
),

persons as (
    select * from {{ ref('int_gia_persons_attributed') }}
),

graduate_sums as (
    select
        persons.person_key,
        persons.year,
        persons.ate_code,
        persons.school_code,
        count(*) as n_subjects,
        sum(results.test_score) as score_sum
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
        (score_sum >= 126)::integer as numerator,
        1 as denominator
    from graduate_sums
    where n_subjects = 2
),

indicator as (
    {{ rollup_indicator('GIA-07', 'facts', 'share') }}
)

select * from indicator
