-- GIA-06 Доля выпускников с суммой трёх лучших предметов ЕГЭ >= 220 = graduates with >= 3
-- test-scored subjects whose 3 best test scores sum to >= 220 / graduates with >= 3
-- test-scored subjects. Person-level (attributed school / municipality, category ВТГ).

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
        persons.ate_code,
        persons.school_code,
        results.test_score,
        row_number() over (
            partition by persons.person_key, persons.year
            order by results.test_score desc
        ) as score_rank
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
),

graduate_sums as (
    select
        person_key,
        year,
        ate_code,
        school_code,
        count(*) as n_subjects,
        sum(test_score) filter (where score_rank <= 3) as top3_sum
    from graduate_results
    group by person_key, year, ate_code, school_code
),

facts as (
    select
        year,
        ate_code,
        school_code,
        (top3_sum >= 220)::integer as numerator,
        1 as denominator
    from graduate_sums
    where n_subjects >= 3
),

indicator as (
    {{ rollup_indicator('GIA-06', 'facts', 'share') }}
)

select * from indicator
