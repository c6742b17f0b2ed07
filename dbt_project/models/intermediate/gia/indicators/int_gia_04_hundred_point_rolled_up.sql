-- GIA-04 Число стобалльных результатов ЕГЭ = count of results with test score 100, by subject
-- and category. Published as 0 for each territory with any row (any status) of fis_gia/ege
-- in the year, for each (subject, category) with >= 1 ЕГЭ test-scored result in the region
-- that year. The zeros come from zero-valued facts (one per place with rows × region
-- breakdown) summed with the real ones: no join between rolled-up rows.

{{ config(**incremental_by_year()) }}

with

results as (
    select * from {{ ref('int_gia_results_selected') }} {{ incremental_years_filter() }}
),

sittings as (
    select * from {{ ref('int_gia_sittings_deduplicated') }} {{ incremental_years_filter() }}
),

result_facts as (
    select
        year,
        ate_code,
        school_code,
        subject_code,
        participant_category,
        (test_score = 100)::integer as numerator,
        0 as denominator,
        load_id
    from results
    where exam = 'ЕГЭ' and is_test_scored
),

region_breakdowns as (
    select distinct
        year,
        subject_code,
        participant_category
    from result_facts
),

-- (municipality, school) places with any fis_gia/ege row in the year, any status
places_with_rows as (
    select distinct
        year,
        ate_code,
        school_code
    from sittings
    where gia_level = 11
),

zero_facts as (
    select
        places_with_rows.year,
        places_with_rows.ate_code,
        places_with_rows.school_code,
        region_breakdowns.subject_code,
        region_breakdowns.participant_category,
        0 as numerator,
        0 as denominator,
        null::bigint as load_id
    from places_with_rows
    inner join region_breakdowns
        on places_with_rows.year = region_breakdowns.year
),

facts as (
    select * from result_facts
    union all
    select * from zero_facts
),

indicator as (
    {{ rollup_indicator(
        'GIA-04', 'facts', 'count', dims=['subject_code'], by_category=true, lineage=true
    ) }}
)

select * from indicator
