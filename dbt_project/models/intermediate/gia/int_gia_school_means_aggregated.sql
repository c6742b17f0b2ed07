-- One row per school and year: the mean ЕГЭ test score of the school's graduates' Russian (1)
-- and profile mathematics (2) results (input of GIA-16). Graduates = persons of category ВТГ
-- (level 11); a graduate belongs to their attributed school (int_gia_persons_attributed).
-- The school's municipality is the registry's, else the graduates' attributed one.
-- The results themselves: int_gia_school_mean_results.

{{ config(**incremental_by_year()) }}

with

graduate_results as (
    select * from {{ ref('int_gia_school_mean_results') }} {{ incremental_years_filter() }}
),

territories as (
    select * from {{ ref('int_territories_unioned') }}
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
