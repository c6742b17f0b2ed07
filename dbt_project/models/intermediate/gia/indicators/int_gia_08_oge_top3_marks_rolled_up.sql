-- GIA-08 Доля выпускников 9 классов с суммой отметок трёх лучших предметов ОГЭ >= 12 =
-- 9th-grade graduates with >= 3 ОГЭ/ГВЭ marks whose 3 best marks sum to >= 12 / those with
-- >= 3 marks. Person-level (level 9, attributed school / municipality, category ВТГ).

with

results as (
    select * from {{ ref('int_gia_results_selected') }}
),

persons as (
    select * from {{ ref('int_gia_persons_attributed') }}
),

graduate_marks as (
    select
        persons.person_key,
        persons.year,
        persons.ate_code,
        persons.school_code,
        results.mark,
        row_number() over (
            partition by persons.person_key, persons.year
            order by results.mark desc
        ) as mark_rank
    from persons
    inner join results
        on
            persons.person_key = results.person_key
            and persons.year = results.year
            and persons.gia_level = results.gia_level
    where
        persons.gia_level = 9
        and persons.is_graduate
        and results.exam in ('ОГЭ', 'ГВЭ')
        and results.mark is not null
),

graduate_sums as (
    select
        person_key,
        year,
        ate_code,
        school_code,
        count(*) as n_marks,
        sum(mark) filter (where mark_rank <= 3) as top3_sum
    from graduate_marks
    group by person_key, year, ate_code, school_code
),

facts as (
    select
        year,
        ate_code,
        school_code,
        (top3_sum >= 12)::integer as numerator,
        1 as denominator
    from graduate_sums
    where n_marks >= 3
),

indicator as (
    {{ rollup_indicator('GIA-08', 'facts', 'share') }}
)

select * from indicator
