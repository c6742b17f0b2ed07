-- The ЕГЭ minimum scores in force for every result year (of the ФИС ГИА exports and of the
-- regional diagnostic works): the seed row of the latest seed year not after the result
-- year (values hold until the seed says otherwise); before the first seed year, the first
-- one. So a new exam year needs no seed rows unless the values change.

with

gia as (
    select * from {{ ref('stg_fis_gia__results') }}
),

diagnostic as (
    select * from {{ ref('stg_regional__diagnostic_results') }}
),

min_scores_seed as (
    select * from {{ ref('min_scores') }}
),

result_years as (
    select year from gia
    union
    select year from diagnostic
),

ranked as (
    select
        result_years.year,
        min_scores_seed.subject_code,
        min_scores_seed.min_score,
        min_scores_seed.univ_score,
        min_scores_seed.year as seed_year,
        row_number() over (
            partition by result_years.year, min_scores_seed.subject_code
            order by
                (min_scores_seed.year <= result_years.year) desc,
                abs(result_years.year - min_scores_seed.year) asc
        ) as seed_rank
    from result_years
    cross join min_scores_seed
    where result_years.year is not null
),

final as (
    select
        year,
        subject_code,
        min_score,
        univ_score,
        seed_year
    from ranked
    where seed_rank = 1
)

select * from final
