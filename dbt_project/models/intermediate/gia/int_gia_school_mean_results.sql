-- The results GIA-16's school means are made of: one row per graduate's (category ВТГ, level
-- 11) best ЕГЭ result in Russian (1) or profile mathematics (2) with a test score, at the
-- graduate's attributed school (int_gia_person_results: the selected results joined to
-- int_gia_persons_attributed once for every person-level model), with the load of the
-- result's best sitting (its file in the lineage, marts.indicator_row_sources).
-- int_gia_school_means_aggregated averages them per school; GIA-16's lineage counts them.

{{ config(**incremental_by_year()) }}

with

person_results as (
    select * from {{ ref('int_gia_person_results') }} {{ incremental_years_filter() }}
),

graduate_results as (
    select
        year,
        ate_code,
        school_code,
        subject_code,
        test_score,
        load_id
    from person_results
    where
        gia_level = 11
        and exam = 'ЕГЭ'
        and subject_code in (1, 2)
        and test_score is not null
        and is_graduate
        and school_code is not null
)

select * from graduate_results
