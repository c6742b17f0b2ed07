-- One row per school and year: the mean ЕГЭ test score of the school's graduates' Russian (1)
-- and profile mathematics (2) results (input of GIA-16). Graduates = persons of category ВТГ
-- (level 11); a graduate belongs to their attributed school (int_gia_persons_attributed).
-- The school's municipality is the registry's, else the graduates' attributed one.

{{ config(**incremental_by_year()) }}

with

results as (
    select * from {{ ref('int_gia_results_selected') }} {{ incremental_years_filter() }}
),

persons as (
    select * from {{ ref('int_gia_persons_attributed') }} {{ incremental_years_filter() }}
),

territories as (
    select * from {{ ref('int_territories_unioned') }}
),

graduate_results as (
    select
        results.year,
        persons.ate_code,
        persons.school_code,
        results.test_score
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
),

school_means as (
    select
        year,
        school_code,
        min(ate_code) as attributed_ate_code,
        count(*) as n_results,
        sum(test_score) as score_sum,
        avg(test_score::numeric) as mean_score
    from graduate_results
    group by year, school_code
),

final as (
    select
        school_means.year,
        school_means.school_code,
        coalesce(territories.ate_code, school_means.attributed_ate_code) as ate_code,
        school_means.n_results,
        school_means.score_sum,
        school_means.mean_score
    from school_means
    left join territories
        on
            territories.territory_level = 'school'
            and school_means.school_code = territories.territory_code
)

select * from final
