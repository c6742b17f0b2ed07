-- GIA-01 Доля результатов ниже минимального порога = results below minimum / results,
-- by exam (ЕГЭ, ОГЭ, ГВЭ), subject and category; region, municipalities, schools.

{{ config(**incremental_by_year()) }}

with

results as (
    select * from {{ ref('int_gia_results_selected') }} {{ incremental_years_filter() }}
),

indicator as (
    {{ rollup_indicator(
        'GIA-01', 'results', 'share', dims=['exam', 'subject_code'], by_category=true,
        numerator='is_below_min::integer', denominator='1',
        school_groups=true, lineage=true
    ) }}
)

select * from indicator
