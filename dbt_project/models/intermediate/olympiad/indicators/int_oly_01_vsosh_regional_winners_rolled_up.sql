-- OLY-01 Число победителей и призёров регионального этапа ВсОШ = distinct (student, subject)
-- with status призёр or победитель at ВсОШ stage `региональный`; region, municipalities,
-- schools. breakdown_key = the subject name as uploaded (subject_code NULL), plus the total
-- row (breakdown_key NULL) = all subjects.
-- Zero rows: every territory with any uploads/olympiad row in the year publishes the total
-- row and a row per subject that has >= 1 regional-stage ВсОШ entry (any status) in the
-- region that year; a count with nothing qualifying is 0.

{{ config(**incremental_by_year()) }}

with

regional_entries as (
    select * from {{ ref('int_olympiad_vsosh_entries') }}
    where stage = 'региональный' {{ incremental_years_filter('and') }}
),

territories as (
    select * from {{ ref('int_olympiad_territories_with_rows') }} {{ incremental_years_filter() }}
),

indicator as (
    {{ zero_filled_count_indicator(
        'OLY-01', 'regional_entries', 'territories', numerator='is_prize_winner::integer',
        breakdowns=[['breakdown_key'], []], lineage=true
    ) }}
)

select * from indicator
