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
        subject_code,
        load_id
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

-- a graduate of an exam counts (lineage) for the lowest load_id among their results of it
graduate_exams as (
    select
        person_key,
        year,
        ate_code,
        school_code,
        exam,
        min(load_id) as load_id
    from graduate_results
    group by person_key, year, ate_code, school_code, exam
),

place_graduates as (
    select
        year,
        ate_code,
        school_code,
        exam,
        load_id,
        count(*) as n_graduates
    from graduate_exams
    group by year, ate_code, school_code, exam, load_id
),

choice_facts as (
    select
        graduate_results.year,
        graduate_results.ate_code,
        graduate_results.school_code,
        graduate_results.exam,
        graduate_results.subject_code,
        graduate_exams.load_id,
        count(*) as numerator,
        0 as denominator
    from graduate_results
    inner join graduate_exams
        on
            graduate_results.person_key = graduate_exams.person_key
            and graduate_results.year = graduate_exams.year
            and coalesce(graduate_results.ate_code, '') = coalesce(graduate_exams.ate_code, '')
            and coalesce(graduate_results.school_code, '')
            = coalesce(graduate_exams.school_code, '')
            and graduate_results.exam = graduate_exams.exam
    group by
        graduate_results.year,
        graduate_results.ate_code,
        graduate_results.school_code,
        graduate_results.exam,
        graduate_results.subject_code,
        graduate_exams.load_id
),

graduate_facts as (
    select
        place_graduates.year,
        place_graduates.ate_code,
        place_graduates.school_code,
        place_graduates.exam,
        region_subjects.subject_code,
        place_graduates.load_id,
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
    {{ rollup_indicator(
        'GIA-13', 'facts', 'share', dims=['exam', 'subject_code'], lineage=true
    ) }}
)

select * from indicator
