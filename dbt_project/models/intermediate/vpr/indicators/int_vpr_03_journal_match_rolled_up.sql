-- VPR-03 Соответствие отметок за ВПР отметкам по журналу: three shares among the works with a
-- journal mark, breakdown_key = `понизили` (ВПР < journal), `подтвердили` (=), `повысили`
-- (ВПР > journal); by grade and subject; region, municipalities, schools.
-- Every territory × grade × subject with >= 1 work with a journal mark has all three rows
-- (a kind nobody had is 0 %); the three numerators add up to the common denominator.

{{ config(**incremental_by_year()) }}

with

works as (
    select * from {{ ref('int_vpr_works_compared') }} {{ incremental_years_filter() }}
),

kinds as (
    select kind
    from (values ('понизили'), ('подтвердили'), ('повысили')) as kinds (kind)
),

facts as (
    select
        works.year,
        works.ate_code,
        works.school_code,
        works.grade,
        works.subject_code,
        kinds.kind as breakdown_key,
        works.load_id,
        (works.journal_comparison = kinds.kind)::integer as numerator,
        1 as denominator
    from works
    cross join kinds
    where works.has_journal_mark
),

indicator as (
    {{ rollup_indicator(
        'VPR-03', 'facts', 'share', dims=['grade', 'subject_code', 'breakdown_key'],
        lineage=true
    ) }}
)

select * from indicator
