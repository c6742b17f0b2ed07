-- The score levels in force for every result year (high level, the mark that is below the
-- minimum), chosen from the seed score_levels like int_min_scores_in_force.

with

gia as (
    select * from {{ ref('stg_fis_gia__results') }}
),

diagnostic as (
    select * from {{ ref('stg_regional__diagnostic_results') }}
),

score_levels_seed as (
    select * from {{ ref('score_levels') }}
),

result_years as (
    select year from gia
    union
    select year from diagnostic
),

ranked as (
    select
        result_years.year,
        score_levels_seed.high_level_test_score,
        score_levels_seed.high_level_mark,
        score_levels_seed.below_min_mark,
        score_levels_seed.year as seed_year,
        row_number() over (
            partition by result_years.year
            order by
                (score_levels_seed.year <= result_years.year) desc,
                abs(result_years.year - score_levels_seed.year) asc
        ) as seed_rank
    from result_years
    cross join score_levels_seed
    where result_years.year is not null
),

final as (
    select
        year,
        high_level_test_score,
        high_level_mark,
        below_min_mark,
        seed_year
    from ranked
    where seed_rank = 1
)

select * from final
