-- GIA-02 Доля результатов ЕГЭ не ниже минимума для поступления в вуз = ЕГЭ results with
-- test score >= univ / ЕГЭ results (subjects with a test score), by subject and category.

with

results as (
    select * from {{ ref('int_gia_results_selected') }}
),

facts as (
    select
        year,
        ate_code,
        school_code,
        subject_code,
        participant_category,
        is_univ_ok::integer as numerator,
        1 as denominator
    from results
    where exam = 'ЕГЭ' and is_test_scored
),

indicator as (
    {{ rollup_indicator('GIA-02', 'facts', 'share', dims=['subject_code'], by_category=true) }}
)

select * from indicator
