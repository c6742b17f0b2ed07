-- CAR-01 Доля обучающихся 6–11 классов, получивших рекомендации «Билет в будущее» = Σ
-- recommendations «Билет в будущее» / Σ students of grades 6–11; region, municipalities, schools.
-- Sums over the schools' reports (int_career_reports_deduplicated, one per school and year);
-- a report with an empty numerator or denominator field is left out of both sums; an empty
-- denominator (sum 0) gives no row.

{{ config(**incremental_by_year()) }}

with

reports as (
    select * from {{ ref('int_career_reports_deduplicated') }} {{ incremental_years_filter() }}
),

facts as (
    {{ report_share_facts('reports', 'bvb_recommendations', ['students_6_11']) }}
),

indicator as (
    {{ rollup_indicator('CAR-01', 'facts', 'share', lineage=true) }}
)

select * from indicator
