-- GIA-11 Доля результатов высокого уровня = results at high level / results, by exam,
-- subject and category. High level: ЕГЭ test score >= 81; mark-only results (base maths,
-- ГВЭ, ОГЭ): mark 5 (seed score_levels).

{{ config(**incremental_by_year()) }}

with

results as (
    select * from {{ ref('int_gia_results_selected') }} {{ incremental_years_filter() }}
),

indicator as (
    {{ rollup_indicator(
        'GIA-11', 'results', 'share', dims=['exam', 'subject_code'], by_category=true,
        numerator='is_high_level::integer', denominator='1',
        school_groups=true, lineage=true
    ) }}
)

select * from indicator
