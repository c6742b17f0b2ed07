-- Valid sittings only (status `действителен`), with how each is scored:
-- ЕГЭ in a subject with a test score is scored by the test score, every other sitting
-- (base maths 22, ГВЭ, ОГЭ) by the mark.

{{ config(**incremental_by_year()) }}

with

sittings as (
    select * from {{ ref('int_gia_sittings_deduplicated') }} {{ incremental_years_filter() }}
),

subjects as (
    select * from {{ ref('subjects') }}
),

valid_sittings as (
    select * from sittings
    where is_valid
),

scored as (
    select
        valid_sittings.load_id,
        valid_sittings.source_row,
        valid_sittings.person_key,
        valid_sittings.year,
        valid_sittings.gia_level,
        valid_sittings.exam,
        valid_sittings.stage,
        valid_sittings.stage_order,
        valid_sittings.exam_date,
        valid_sittings.ate_code,
        valid_sittings.school_code,
        valid_sittings.participant_category,
        valid_sittings.subject_code,
        valid_sittings.primary_score,
        valid_sittings.test_score,
        valid_sittings.mark,
        (
            valid_sittings.exam = 'ЕГЭ'
            and coalesce(subjects.has_test_score, valid_sittings.test_score is not null)
        ) as is_test_scored
    from valid_sittings
    left join subjects
        on valid_sittings.subject_code = subjects.code
),

final as (
    select
        *,
        case when is_test_scored then test_score else mark end as result_score
    from scored
)

select * from final
