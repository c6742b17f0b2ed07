-- GIA-01 Доля результатов ниже минимального порога = results below minimum / results,
-- by exam (ЕГЭ, ОГЭ, ГВЭ), subject and category; region, municipalities, schools.

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
        is_below_min::integer as numerator,
        1 as denominator
    from results
),

indicator as (
    {{ rollup_indicator(
        'GIA-01', 'facts', 'share', dims=['exam', 'subject_code'], by_category=true
    ) }}
)

select * from indicator
