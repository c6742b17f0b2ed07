-- Each participant of a diagnostic work with the same student's ЕГЭ result of that year and
-- subject: the best valid sitting of form ЕГЭ (int_gia_results_selected, GIA-01's
-- best-of-retakes rule, any participant category), matched by person_key. A participant
-- with such a result is *linked* (indicators.md, DR-02 / DR-03); the territory of a linked
-- student is that of the diagnostic row.

{{ config(**incremental_by_year()) }}

with

participants as (
    select * from {{ ref('int_diagnostic_participants_flagged') }} {{ incremental_years_filter() }}
),

ege_results as (
    select * from {{ ref('int_gia_results_selected') }}
    where gia_level = 11 and exam = 'ЕГЭ' {{ incremental_years_filter('and') }}
),

linked as (
    select
        participants.load_id,
        participants.source_row,
        participants.person_key,
        participants.year,
        participants.work_number,
        participants.work_key,
        participants.ate_code,
        participants.school_code,
        participants.subject_code,
        participants.test_score,
        participants.mark,
        participants.is_test_scored,
        participants.min_score,
        participants.is_below_min,
        ege_results.person_key is not null as is_linked,
        coalesce(ege_results.is_below_min, false) as is_ege_below_min
    from participants
    left join ege_results
        on
            participants.person_key = ege_results.person_key
            and participants.year = ege_results.year
            and participants.subject_code = ege_results.subject_code
)

select * from linked
