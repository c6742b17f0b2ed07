-- OLY-02 Число участников заключительного этапа ВсОШ = distinct (student, subject) at ВсОШ
-- stage `заключительный` (any status); region, municipalities, schools.
-- breakdown_key = the subject name as uploaded (subject_code NULL), plus the total row
-- (breakdown_key NULL) = all subjects.
-- Zero rows: every territory with any uploads/olympiad row in the year publishes the total
-- row and a row per subject with >= 1 final-stage ВсОШ entry in the region that year.

{{ config(**incremental_by_year()) }}

with

final_entries as (
    select * from {{ ref('int_olympiad_vsosh_entries') }}
    where stage = 'заключительный' {{ incremental_years_filter('and') }}
),

territories as (
    select * from {{ ref('int_olympiad_territories_with_rows') }} {{ incremental_years_filter() }}
),

indicator as (
    {{ zero_filled_count_indicator(
        'OLY-02', 'final_entries', 'territories', numerator='1',
        breakdowns=[['breakdown_key'], []], lineage=true
    ) }}
)

select * from indicator
