-- GIA-10 Доля участников, не преодолевших минимум хотя бы по одному предмету = participants
-- with >= 1 result below minimum / participants, by exam (form) and category.
-- Participants = persons with >= 1 result in that exam; person-level (attributed school,
-- municipality and category of the exam family).

with

results as (
    select * from {{ ref('int_gia_results_selected') }}
),

persons as (
    select * from {{ ref('int_gia_persons_attributed') }}
),

participant_exams as (
    select
        persons.person_key,
        persons.year,
        persons.ate_code,
        persons.school_code,
        persons.participant_category,
        results.exam,
        bool_or(results.is_below_min) as has_below_min
    from persons
    inner join results
        on
            persons.person_key = results.person_key
            and persons.year = results.year
            and persons.gia_level = results.gia_level
    group by
        persons.person_key,
        persons.year,
        persons.gia_level,
        persons.ate_code,
        persons.school_code,
        persons.participant_category,
        results.exam
),

facts as (
    select
        year,
        ate_code,
        school_code,
        exam,
        participant_category,
        coalesce(has_below_min, false)::integer as numerator,
        1 as denominator
    from participant_exams
),

indicator as (
    {{ rollup_indicator('GIA-10', 'facts', 'share', dims=['exam'], by_category=true) }}
)

select * from indicator
