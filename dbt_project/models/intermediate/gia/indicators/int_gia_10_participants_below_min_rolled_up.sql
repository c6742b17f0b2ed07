-- GIA-10 Доля участников, не преодолевших минимум хотя бы по одному предмету = participants
-- with >= 1 result below minimum / participants, by exam (form) and category.
-- Participants = persons with >= 1 result in that exam; person-level (attributed school,
-- municipality and category of the exam family).

{{ config(**incremental_by_year()) }}

with

person_results as (
    select * from {{ ref('int_gia_person_results') }} {{ incremental_years_filter() }}
),

participant_exams as (
    select
        year,
        ate_code,
        school_code,
        participant_category,
        exam,
        bool_or(is_below_min) as has_below_min,
        min(load_id) as load_id
    from person_results
    group by person_key, year, gia_level, ate_code, school_code, participant_category, exam
),

indicator as (
    {{ rollup_indicator(
        'GIA-10', 'participant_exams', 'share', dims=['exam'], by_category=true,
        numerator='coalesce(has_below_min, false)::integer', denominator='1',
        school_groups=true, lineage=true
    ) }}
)

select * from indicator
