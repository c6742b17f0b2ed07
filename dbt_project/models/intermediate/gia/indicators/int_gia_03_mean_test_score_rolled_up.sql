-- GIA-03 Средний тестовый балл ЕГЭ = mean test score of results, by subject and category.
-- numerator = sum of test scores, denominator = number of results. test_score is an integer
-- column: `::integer` says so to rollup_indicator, which then sums it per school first.

{{ config(**incremental_by_year()) }}

with

ege_results as (
    select * from {{ ref('int_gia_results_selected') }}
    where exam = 'ЕГЭ' and is_test_scored {{ incremental_years_filter('and') }}
),

indicator as (
    {{ rollup_indicator(
        'GIA-03', 'ege_results', 'mean', dims=['subject_code'], by_category=true,
        numerator='test_score::integer', denominator='1',
        school_groups=true, lineage=true
    ) }}
)

select * from indicator
