-- One row per result: the best valid sitting per (person_key, year, gia_level, exam,
-- subject_code), flagged against the year's reference values (int_min_scores_in_force,
-- int_score_levels_in_force).
-- Best = highest test score (test-scored ЕГЭ) else highest mark; ties: higher primary score,
-- earlier exam date, earlier stage (досрочный < основной < резервный < дополнительный),
-- then lowest load_id / source_row. The best sitting gives stage, school, municipality and
-- category of the result.

{{ config(**incremental_by_year()) }}

with

sittings as (
    select * from {{ ref('int_gia_sittings_validated') }} {{ incremental_years_filter() }}
),

min_scores as (
    select * from {{ ref('int_min_scores_in_force') }}
),

score_levels as (
    select * from {{ ref('int_score_levels_in_force') }}
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
