-- GIA-03 Средний тестовый балл ЕГЭ = mean test score of results, by subject and category.
-- numerator = sum of test scores, denominator = number of results.

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
        test_score as numerator,
        1 as denominator
    from results
    where exam = 'ЕГЭ' and is_test_scored
),

indicator as (
    {{ rollup_indicator('GIA-03', 'facts', 'mean', dims=['subject_code'], by_category=true) }}
)

select * from indicator
