-- OLY-02 Число участников заключительного этапа ВсОШ = distinct (student, subject) at ВсОШ
-- stage `заключительный` (any status); region, municipalities, schools.
-- breakdown_key = the subject name as uploaded (subject_code NULL), plus the total row
-- (breakdown_key NULL) = all subjects.
-- Zero rows: every territory with any uploads/olympiad row in the year publishes the total
-- row and a row per subject with >= 1 final-stage ВсОШ entry in the region that year.

with

entries as (
    select * from {{ ref('int_olympiad_entries_deduplicated') }}
),

territories as (
    select * from {{ ref('int_olympiad_territories_with_rows') }}
),

facts as (
    select
        year,
        ate_code,
        school_code,
        subject as breakdown_key,
        1 as numerator,
        1 as denominator
    from entries
    where event = 'ВсОШ' and stage = 'заключительный'
),

counted as (
    {{ rollup_indicator('OLY-02', 'facts', 'count', dims=['breakdown_key']) }}
    union all
    {{ rollup_indicator('OLY-02', 'facts', 'count') }}
),

breakdowns as (
    select distinct
        year,
        null::text as exam,
        null::integer as subject_code,
        null::text as participant_category,
        null::integer as grade,
        breakdown_key
    from facts
    union
    select distinct
        year,
        null::text as exam,
        null::integer as subject_code,
        null::text as participant_category,
        null::integer as grade,
        null::text as breakdown_key
    from territories
),

indicator as (
    {{ zero_filled_counts('OLY-02', 'counted', 'territories', 'breakdowns') }}
)

select * from indicator
