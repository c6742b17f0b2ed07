-- GIA-02 Доля результатов ЕГЭ не ниже минимума для поступления в вуз = ЕГЭ results with
-- test score >= univ / ЕГЭ results (subjects with a test score), by subject and category.

{{ config(**incremental_by_year()) }}

with

ege_results as (
    select * from {{ ref('int_gia_results_selected') }}
    where exam = 'ЕГЭ' and is_test_scored {{ incremental_years_filter('and') }}
),

indicator as (
    {{ rollup_indicator(
        'GIA-02', 'ege_results', 'share', dims=['subject_code'], by_category=true,
        numerator='is_univ_ok::integer', denominator='1', lineage=true
    ) }}
)

select * from indicator
