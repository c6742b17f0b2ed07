-- One row per school, year, grade and ВПР subject: the number of works and the school's mean
-- primary score in that grade × subject (input of VPR-04 rule (b)).

{{ config(**incremental_by_year()) }}

with

works as (
    select * from {{ ref('int_vpr_works_compared') }} {{ incremental_years_filter() }}
),

schools as (
    select * from {{ ref('int_vpr_schools_aggregated') }} {{ incremental_years_filter() }}
),

school_subject_means as (
    select
        year,
        school_code,
        grade,
        subject_code,
        count(*) as n_works,
        sum(primary_score) as primary_score_sum,
        avg(primary_score::numeric) as mean_primary_score
    from works
    where school_code is not null and primary_score is not null
    group by year, school_code, grade, subject_code
),

final as (
    select
        school_subject_means.year,
        school_subject_means.school_code,
        schools.ate_code,
        school_subject_means.grade,
        school_subject_means.subject_code,
        school_subject_means.n_works,
        school_subject_means.primary_score_sum,
        school_subject_means.mean_primary_score
    from school_subject_means
    inner join schools
        on
            school_subject_means.year = schools.year
            and school_subject_means.school_code = schools.school_code
)

select * from final
