-- CAR-02 Доля обучающихся, участвовавших в открытых уроках «Проектория» = Σ «Проектория»
-- participants / Σ students of grades 6–11; region, municipalities, schools.
-- Sums over the schools' reports (int_career_reports_deduplicated, one per school and year);
-- a report with an empty numerator or denominator field is left out of both sums; an empty
-- denominator (sum 0) gives no row.

{{ config(**incremental_by_year()) }}

with

reports as (
    select * from {{ ref('int_career_reports_deduplicated') }} {{ incremental_years_filter() }}
),

facts as (
    {{ report_share_facts('reports', 'proektoria_participants', ['students_6_11']) }}
),

indicator as (
    {{ rollup_indicator('CAR-02', 'facts', 'share', lineage=true) }}
)

select * from indicator
