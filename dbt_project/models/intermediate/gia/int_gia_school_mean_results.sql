-- The results GIA-16's school means are made of: one row per graduate's (category ВТГ, level
-- 11) best ЕГЭ result in Russian (1) or profile mathematics (2) with a test score, at the
-- graduate's attributed school (int_gia_persons_attributed), with the load of the result's
-- best sitting (its file in the lineage, marts.indicator_row_sources).
-- int_gia_school_means_aggregated averages them per school; GIA-16's lineage counts them.

{{ config(**incremental_by_year()) }}

with

results as (
    select * from {{ ref('int_gia_results_selected') }} {{ incremental_years_filter() }}
),

persons as (
    select * from {{ ref('int_gia_persons_attributed') }} {{ incremental_years_filter() }}
),

graduate_results as (
    select
        results.year,
        persons.ate_code,
        persons.school_code,
        results.subject_code,
        results.test_score,
        results.load_id
    from results
    inner join persons
        on
            results.person_key = persons.person_key
            and results.year = persons.year
            and results.gia_level = persons.gia_level
    where
        results.gia_level = 11
        and results.exam = 'ЕГЭ'
        and results.subject_code in (1, 2)
        and results.test_score is not null
        and persons.is_graduate
        and persons.school_code is not null
)

select * from graduate_results
