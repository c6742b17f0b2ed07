-- OLY-03 Число участников муниципального этапа ВсОШ с выполнением ≥ 75 % = distinct
-- (student, subject) at ВсОШ stage `муниципальный` with Балл >= 0.75 × Максимальный балл
-- (any of the entry's rows; Максимальный балл > 0); region, municipalities, schools.
-- Rows: per subject (breakdown_key, as uploaded; subject_code NULL) × grade (9, 10, 11), and
-- the total row (breakdown_key and grade NULL). No per-subject-all-grades or per-grade rows.
-- Only grades 9, 10, 11 count — the total row too, so it is the sum of the subject × grade
-- rows (the catalogue's grade breakdown is 9, 10, 11; the ministry's table likewise).
-- The grade is that of the entry's attribution row.
-- Zero rows: every territory with any uploads/olympiad row in the year publishes the total
-- row and a row per (subject, grade) with >= 1 municipal-stage ВсОШ entry of grade 9–11 in
-- the region that year.

{{ config(**incremental_by_year()) }}

with

municipal_entries as (
    select * from {{ ref('int_olympiad_vsosh_entries') }}
    where stage = 'муниципальный' and grade in (9, 10, 11) {{ incremental_years_filter('and') }}
),

territories as (
    select * from {{ ref('int_olympiad_territories_with_rows') }} {{ incremental_years_filter() }}
),

indicator as (
    {{ zero_filled_count_indicator(
        'OLY-03', 'municipal_entries', 'territories', numerator='reached_75::integer',
        breakdowns=[['breakdown_key', 'grade'], []], lineage=true
    ) }}
)

select * from indicator
