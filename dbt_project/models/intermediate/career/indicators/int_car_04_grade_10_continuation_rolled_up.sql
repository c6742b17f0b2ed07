-- CAR-04 Доля выпускников 9 классов, продолживших обучение в 10 классе = Σ 9th graduates
-- continuing in grade 10 / Σ 9th graduates; region, municipalities, schools.
-- Sums over the schools' reports (int_career_reports_deduplicated, one per school and year);
-- a report with an empty numerator or denominator field is left out of both sums; an empty
-- denominator (sum 0) gives no row.

{{ config(**incremental_by_year()) }}

with

reports as (
    select * from {{ ref('int_career_reports_deduplicated') }} {{ incremental_years_filter() }}
),

facts as (
    {{ report_share_facts('reports', 'grads_9_continued', ['grads_9']) }}
),

indicator as (
    {{ rollup_indicator('CAR-04', 'facts', 'share', lineage=true) }}
)

select * from indicator
