-- CAR-03 Доля выпускников 9 и 11 классов, завершивших профессиональное обучение = Σ graduates who
-- completed vocational training / Σ (9th + 11th graduates); region, municipalities, schools.
-- Sums over the schools' reports (int_career_reports_deduplicated, one per school and year);
-- a report with an empty numerator or denominator field is left out of both sums; an empty
-- denominator (sum 0) gives no row.

{{ config(**incremental_by_year()) }}

with

reports as (
    select * from {{ ref('int_career_reports_deduplicated') }} {{ incremental_years_filter() }}
),

facts as (
    {{ report_share_facts('reports', 'vocational_completed', ['grads_9', 'grads_11']) }}
),

indicator as (
    {{ rollup_indicator('CAR-03', 'facts', 'share', lineage=true) }}
)

select * from indicator
