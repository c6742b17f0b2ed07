-- Lineage of the ГИА indicator rows: per published row of GIA-01 … GIA-15 and contributing
-- load, how many of the load's units counted in the row's denominator (GIA-04, a count: in
-- its value). The facts repeat each indicator model's facts (intermediate/gia/indicators/)
-- with the load of every counted unit; tests/dbt/test_lineage.py checks that the loads of
-- every published row add up to its denominator.
-- Result-level indicators: a result counts for the load of its best sitting
-- (int_gia_results_selected.load_id). Person-level indicators: a person counts once, for
-- the lowest load_id among the results that put them into that row's denominator (the
-- earliest delivered file holding one of those results).
-- GIA-16 (a ratio of mean school scores, no counted denominator) has no lineage rows yet.

with

results as (
    select * from {{ ref('int_gia_results_selected') }}
),

person_results as (
    select * from {{ ref('int_gia_person_results') }}
),

persons as (
    select * from {{ ref('int_gia_persons_attributed') }}
),

sittings as (
    select * from {{ ref('int_gia_sittings_validated') }}
),

ege_scored_results as (
    select * from results
    where exam = 'ЕГЭ' and is_test_scored
),

hundred_point_results as (
    select * from ege_scored_results
    where test_score = 100
),

-- GIA-05 … 07: graduates with their test-scored ЕГЭ results
ege_graduates as (
    select
        person_key,
        year,
        ate_code,
        school_code,
        count(*) as n_scored,
        min(load_id) as load_id
    from person_results
    where gia_level = 11 and is_graduate and exam = 'ЕГЭ' and is_test_scored
    group by person_key, year, ate_code, school_code
),

ege_graduates_3 as (
    select * from ege_graduates
    where n_scored >= 3
),

ege_graduates_2 as (
    select * from ege_graduates
    where n_scored = 2
),

-- GIA-08
oge_graduates_3 as (
    select
        year,
        ate_code,
        school_code,
        min(load_id) as load_id
    from person_results
    where gia_level = 9 and is_graduate and exam in ('ОГЭ', 'ГВЭ') and mark is not null
    group by person_key, year, ate_code, school_code
    having count(*) >= 3
),

-- GIA-09
certificate_graduates as (
    select
        year,
        ate_code,
        school_code,
        gia_level::text as breakdown_key,
        min(load_id) as load_id
    from person_results
    where is_graduate
    group by person_key, year, gia_level, ate_code, school_code
),

-- GIA-10
participant_exams as (
    select
        year,
        ate_code,
        school_code,
        participant_category,
        exam,
        min(load_id) as load_id
    from person_results
    group by person_key, year, gia_level, ate_code, school_code, participant_category, exam
),

-- GIA-12
scored_results as (
    select
        year,
        ate_code,
        school_code,
        exam,
        subject_code,
        load_id
    from results
    where
        exam in ('ЕГЭ', 'ОГЭ')
        and subject_code in (1, 2)
        and (exam = 'ОГЭ' or is_test_scored)
        and case exam when 'ЕГЭ' then test_score when 'ОГЭ' then primary_score end is not null
),

-- GIA-13: every graduate of an exam counts in the row of each subject of the region
graduate_exams as (
    select
        person_key,
        year,
        ate_code,
        school_code,
        exam,
        min(load_id) as load_id
    from person_results
    where is_graduate
    group by person_key, year, ate_code, school_code, exam
),

region_subjects as (
    select distinct
        year,
        exam,
        subject_code
    from person_results
    where is_graduate
),

subject_choice_facts as (
    select
        graduate_exams.year,
        graduate_exams.ate_code,
        graduate_exams.school_code,
        graduate_exams.exam,
        region_subjects.subject_code,
        graduate_exams.load_id
    from graduate_exams
    inner join region_subjects
        on
            graduate_exams.year = region_subjects.year
            and graduate_exams.exam = region_subjects.exam
),

-- GIA-14: graduates with their valid sittings (any, not only the best) of the exam
graduate_sitting_exams as (
    select
        persons.year,
        persons.ate_code,
        persons.school_code,
        sittings.exam,
        min(sittings.load_id) as load_id
    from persons
    inner join sittings
        on
            persons.person_key = sittings.person_key
            and persons.year = sittings.year
            and persons.gia_level = sittings.gia_level
    where persons.is_graduate
    group by
        persons.person_key,
        persons.year,
        persons.gia_level,
        persons.ate_code,
        persons.school_code,
        sittings.exam
),

-- GIA-15: ЕГЭ graduates of year Y with an ОГЭ result in Y − 2
oge_persons as (
    select distinct
        person_key,
        year
    from results
    where gia_level = 9 and exam = 'ОГЭ'
),

ege_result_loads as (
    select
        person_key,
        year,
        min(load_id) as load_id
    from results
    where gia_level = 11 and exam = 'ЕГЭ'
    group by person_key, year
),

continuity_facts as (
    select
        persons.year,
        persons.ate_code,
        persons.school_code,
        ege_result_loads.load_id
    from persons
    inner join ege_result_loads
        on
            persons.person_key = ege_result_loads.person_key
            and persons.year = ege_result_loads.year
    inner join oge_persons
        on
            persons.person_key = oge_persons.person_key
            and persons.year - 2 = oge_persons.year
    where persons.gia_level = 11 and persons.is_graduate
),

row_sources as (
    {{ rollup_row_sources(
        'GIA-01', 'results', dims=['exam', 'subject_code'], by_category=true
    ) }}
    union all
    {{ rollup_row_sources(
        'GIA-02', 'ege_scored_results', dims=['subject_code'], by_category=true
    ) }}
    union all
    {{ rollup_row_sources(
        'GIA-03', 'ege_scored_results', dims=['subject_code'], by_category=true
    ) }}
    union all
    {{ rollup_row_sources(
        'GIA-04', 'hundred_point_results', dims=['subject_code'], by_category=true
    ) }}
    union all
    {{ rollup_row_sources('GIA-05', 'ege_graduates') }}
    union all
    {{ rollup_row_sources('GIA-06', 'ege_graduates_3') }}
    union all
    {{ rollup_row_sources('GIA-07', 'ege_graduates_2') }}
    union all
    {{ rollup_row_sources('GIA-08', 'oge_graduates_3') }}
    union all
    {{ rollup_row_sources('GIA-09', 'certificate_graduates', dims=['breakdown_key']) }}
    union all
    {{ rollup_row_sources(
        'GIA-10', 'participant_exams', dims=['exam'], by_category=true
    ) }}
    union all
    {{ rollup_row_sources(
        'GIA-11', 'results', dims=['exam', 'subject_code'], by_category=true
    ) }}
    union all
    {{ rollup_row_sources(
        'GIA-12', 'scored_results', dims=['exam', 'subject_code'],
        levels=['municipality', 'school']
    ) }}
    union all
    {{ rollup_row_sources('GIA-13', 'subject_choice_facts', dims=['exam', 'subject_code']) }}
    union all
    {{ rollup_row_sources('GIA-14', 'graduate_sitting_exams', dims=['exam']) }}
    union all
    {{ rollup_row_sources('GIA-15', 'continuity_facts', levels=['region', 'municipality']) }}
)

select * from row_sources
