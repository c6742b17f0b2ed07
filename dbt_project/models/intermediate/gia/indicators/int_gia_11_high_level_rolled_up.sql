-- GIA-11 Доля результатов высокого уровня = results at high level / results, by exam,
-- subject and category. High level: ЕГЭ test score >= 81; mark-only results (base maths,
-- ГВЭ, ОГЭ): mark 5 (seed score_levels).

with

results as (
    select * from {{ ref('int_gia_results_selected') }}
),

facts as (
    select
        year,
        ate_code,
        school_code,
        exam,
        subject_code,
        participant_category,
        is_high_level::integer as numerator,
        1 as denominator
    from results
),

indicator as (
    {{ rollup_indicator(
        'GIA-11', 'facts', 'share', dims=['exam', 'subject_code'], by_category=true
    ) }}
)

select * from indicator
