-- Participants of the regional diagnostic works (`Статус = выполнял`), one row per student ×
-- year × work × subject, flagged below the minimum with the reference values of GIA-01 for
-- that year and subject (indicators.md): a test-scored subject is below when the test score
-- is under the Rosobrnadzor minimum, base mathematics (scored by mark) when the mark is the
-- below-minimum mark (2). A subject with no minimum in force is never below.

{{ config(**incremental_by_year()) }}

with

diagnostic as (
    select * from {{ ref('stg_regional__diagnostic_results') }} {{ incremental_years_filter() }}
),

subjects as (
    select * from {{ ref('subjects') }}
),

min_scores as (
    select * from {{ ref('int_min_scores_in_force') }}
),

score_levels as (
    select * from {{ ref('int_score_levels_in_force') }}
),

participants as (
    select
        diagnostic.load_id,
        diagnostic.source_row,
        diagnostic.person_key,
        diagnostic.year,
        diagnostic.work_number,
        diagnostic.work_key,
        diagnostic.ate_code,
        diagnostic.school_code,
        diagnostic.subject_code,
        diagnostic.test_score,
        diagnostic.mark,
        coalesce(subjects.has_test_score, diagnostic.test_score is not null) as is_test_scored
    from diagnostic
    left join subjects
        on diagnostic.subject_code = subjects.code
    where diagnostic.is_participant
),

flagged as (
    select
        participants.*,
        min_scores.min_score,
        coalesce(
            case
                when participants.is_test_scored
                    then participants.test_score < min_scores.min_score
                else participants.mark <= score_levels.below_min_mark
            end,
            false
        ) as is_below_min
    from participants
    left join min_scores
        on
            participants.is_test_scored
            and participants.year = min_scores.year
            and participants.subject_code = min_scores.subject_code
    left join score_levels
        on participants.year = score_levels.year
)

select * from flagged
