-- One row per result: the best valid sitting per (person_key, year, gia_level, exam,
-- subject_code), flagged against the year's reference values.
-- Best = highest test score (test-scored ЕГЭ) else highest mark; ties: higher primary score,
-- earlier exam date, earlier stage (досрочный < основной < резервный < дополнительный),
-- then lowest load_id / source_row. The best sitting gives stage, school, municipality and
-- category of the result.

{{ config(**incremental_by_year()) }}

with

sittings as (
    select * from {{ ref('int_gia_sittings_validated') }} {{ incremental_years_filter() }}
),

min_scores_seed as (
    select * from {{ ref('min_scores') }}
),

score_levels_seed as (
    select * from {{ ref('score_levels') }}
),

result_years as (
    select distinct year from sittings
),

-- Reference values "in force" for a result year: the seed row of the latest seed year not
-- after it (values hold until the seed says otherwise); before the first seed year, the
-- first one. So a new exam year needs no seed rows unless the values change.
min_scores_ranked as (
    select
        result_years.year as result_year,
        min_scores_seed.subject_code,
        min_scores_seed.min_score,
        min_scores_seed.univ_score,
        row_number() over (
            partition by result_years.year, min_scores_seed.subject_code
            order by
                (min_scores_seed.year <= result_years.year) desc,
                abs(result_years.year - min_scores_seed.year) asc
        ) as seed_rank
    from result_years
    cross join min_scores_seed
),

min_scores as (
    select
        result_year as year,
        subject_code,
        min_score,
        univ_score
    from min_scores_ranked
    where seed_rank = 1
),

score_levels_ranked as (
    select
        result_years.year as result_year,
        score_levels_seed.high_level_test_score,
        score_levels_seed.high_level_mark,
        score_levels_seed.below_min_mark,
        row_number() over (
            partition by result_years.year
            order by
                (score_levels_seed.year <= result_years.year) desc,
                abs(result_years.year - score_levels_seed.year) asc
        ) as seed_rank
    from result_years
    cross join score_levels_seed
),

score_levels as (
    select
        result_year as year,
        high_level_test_score,
        high_level_mark,
        below_min_mark
    from score_levels_ranked
    where seed_rank = 1
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_key, year, gia_level, exam, subject_code
            order by
                result_score desc nulls last,
                primary_score desc nulls last,
                exam_date asc nulls last,
                stage_order asc nulls last,
                load_id asc,
                source_row asc
        ) as sitting_rank,
        count(*) over (
            partition by person_key, year, gia_level, exam, subject_code
        ) as n_valid_sittings
    from sittings
),

best as (
    select * from ranked
    where sitting_rank = 1
),

flagged as (
    select
        best.person_key,
        best.year,
        best.gia_level,
        best.exam,
        best.subject_code,
        best.stage,
        best.exam_date,
        best.ate_code,
        best.school_code,
        best.participant_category,
        best.primary_score,
        best.test_score,
        best.mark,
        best.is_test_scored,
        best.result_score,
        best.n_valid_sittings,
        best.load_id,
        best.source_row,
        min_scores.min_score,
        min_scores.univ_score,
        case
            when best.is_test_scored then best.test_score < min_scores.min_score
            else best.mark <= score_levels.below_min_mark
        end as is_below_min,
        case
            when best.is_test_scored then best.test_score >= score_levels.high_level_test_score
            else best.mark >= score_levels.high_level_mark
        end as is_high_level,
        case
            when best.is_test_scored then best.test_score >= min_scores.univ_score
        end as is_univ_ok
    from best
    left join min_scores
        on
            best.is_test_scored
            and best.year = min_scores.year
            and best.subject_code = min_scores.subject_code
    left join score_levels
        on best.year = score_levels.year
)

select * from flagged
