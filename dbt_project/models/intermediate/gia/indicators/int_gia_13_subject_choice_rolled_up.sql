-- GIA-13 Доля выпускников, выбравших предмет = graduates with a result in the subject /
-- graduates who sat that exam (category ВТГ, >= 1 valid result of that form), by exam and
-- subject. Person-level (attributed school / municipality). A territory with graduates in
-- the exam gets a row (possibly 0 %) for every subject some graduate of the region took in
-- that exam and year.
-- Facts per (municipality, school) place: the number of graduates choosing each subject
-- (numerator) and, for every subject of the region in that exam, the place's number of
-- graduates in the exam (denominator); the rollup sums them.

{{ config(**incremental_by_year()) }}

with

person_results as (
    select * from {{ ref('int_gia_person_results') }} {{ incremental_years_filter() }}
),

graduate_results as (
    select
        person_key,
        year,
        ate_code,
        school_code,
        exam,
        subject_code
    from person_results
    where is_graduate
),

region_subjects as (
    select distinct
        year,
        exam,
        subject_code
    from graduate_results
),

graduate_exams as (
    select distinct
        person_key,
        year,
        ate_code,
        school_code,
        exam
    from graduate_results
),

place_graduates as (
    select
        year,
        ate_code,
        school_code,
        exam,
        count(*) as n_graduates
    from graduate_exams
    group by year, ate_code, school_code, exam
),

choice_facts as (
    select
        year,
        ate_code,
        school_code,
        exam,
        subject_code,
        count(*) as numerator,
        0 as denominator
    from graduate_results
    group by year, ate_code, school_code, exam, subject_code
),

graduate_facts as (
    select
        place_graduates.year,
        place_graduates.ate_code,
        place_graduates.school_code,
        place_graduates.exam,
        region_subjects.subject_code,
        0 as numerator,
        place_graduates.n_graduates as denominator
    from place_graduates
    inner join region_subjects
        on
            place_graduates.year = region_subjects.year
            and place_graduates.exam = region_subjects.exam
),

facts as (
    select * from choice_facts
    union all
    select * from graduate_facts
),

indicator as (
    {{ rollup_indicator('GIA-13', 'facts', 'share', dims=['exam', 'subject_code']) }}
)

select * from indicator
