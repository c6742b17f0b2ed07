-- GIA-12 Доля результатов не ниже среднего по региону = results with score >= the region's
-- mean for that exam, subject and year / results; ЕГЭ (test score) and ОГЭ (primary score),
-- subjects 1 and 2 only; region mean over all results of all categories; municipalities and
-- schools only.

{{ config(**incremental_by_year()) }}

with

results as (
    select * from {{ ref('int_gia_results_selected') }} {{ incremental_years_filter() }}
),

scored_results as (
    select
        year,
        ate_code,
        school_code,
        exam,
        subject_code,
        case exam
            when 'ЕГЭ' then test_score
            when 'ОГЭ' then primary_score
        end as score,
        load_id
    from results
    where
        exam in ('ЕГЭ', 'ОГЭ')
        and subject_code in (1, 2)
        and (exam = 'ОГЭ' or is_test_scored)
),

region_means as (
    select
        year,
        exam,
        subject_code,
        avg(score::numeric) as region_mean
    from scored_results
    where score is not null
    group by year, exam, subject_code
),

facts as (
    select
        scored_results.year,
        scored_results.ate_code,
        scored_results.school_code,
        scored_results.exam,
        scored_results.subject_code,
        scored_results.load_id,
        (scored_results.score >= region_means.region_mean)::integer as numerator,
        1 as denominator
    from scored_results
    inner join region_means
        on
            scored_results.year = region_means.year
            and scored_results.exam = region_means.exam
            and scored_results.subject_code = region_means.subject_code
    where scored_results.score is not null
),

indicator as (
    {{ rollup_indicator(
        'GIA-12', 'facts', 'share',
        dims=['exam', 'subject_code'], levels=['municipality', 'school'], lineage=true
    ) }}
)

select * from indicator
