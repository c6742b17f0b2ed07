-- GIA-15 Доля выпускников 11 классов, выбравших на ЕГЭ предмет, сданный ими на ОГЭ =
-- ЕГЭ graduates of year Y having an elective ЕГЭ subject (not 1, 2, 22) that they also had
-- as an ОГЭ result in year Y-2 (same person_key, same subject code) / ЕГЭ graduates of Y
-- with an ОГЭ result in Y-2. ЕГЭ graduates = category ВТГ (level 11) with >= 1 valid ЕГЭ
-- result in Y; "ОГЭ result" = valid result of form ОГЭ. Region and municipalities only.

{{ config(**incremental_by_year(reads_previous_years=2)) }}

with

results as (
    select * from {{ ref('int_gia_results_selected') }} {{ incremental_years_filter() }}
),

persons as (
    select * from {{ ref('int_gia_persons_attributed') }} {{ incremental_years_filter() }}
),

ege_results as (
    select
        person_key,
        year,
        subject_code,
        load_id
    from results
    where gia_level = 11 and exam = 'ЕГЭ'
),

-- the persons with an ЕГЭ result, each counting (lineage) for the lowest load_id among them
ege_persons as (
    select
        person_key,
        year,
        min(load_id) as load_id
    from ege_results
    group by person_key, year
),

oge_results as (
    select distinct
        person_key,
        year,
        subject_code
    from results
    where gia_level = 9 and exam = 'ОГЭ'
),

oge_persons as (
    select distinct
        person_key,
        year
    from oge_results
),

ege_graduates as (
    select
        persons.person_key,
        persons.year,
        persons.ate_code,
        persons.school_code,
        ege_persons.load_id
    from persons
    inner join ege_persons
        on
            persons.person_key = ege_persons.person_key
            and persons.year = ege_persons.year
    where
        persons.gia_level = 11
        and persons.is_graduate
),

continued_subjects as (
    select distinct
        ege_results.person_key,
        ege_results.year
    from ege_results
    inner join oge_results
        on
            ege_results.person_key = oge_results.person_key
            and ege_results.year - 2 = oge_results.year
            and ege_results.subject_code = oge_results.subject_code
    where ege_results.subject_code not in (1, 2, 22)
),

facts as (
    select
        ege_graduates.year,
        ege_graduates.ate_code,
        ege_graduates.school_code,
        ege_graduates.load_id,
        (continued_subjects.person_key is not null)::integer as numerator,
        1 as denominator
    from ege_graduates
    inner join oge_persons
        on
            ege_graduates.person_key = oge_persons.person_key
            and ege_graduates.year - 2 = oge_persons.year
    left join continued_subjects
        on
            ege_graduates.person_key = continued_subjects.person_key
            and ege_graduates.year = continued_subjects.year
),

indicator as (
    {{ rollup_indicator(
        'GIA-15', 'facts', 'share', levels=['region', 'municipality'], lineage=true
    ) }}
)

select * from indicator
