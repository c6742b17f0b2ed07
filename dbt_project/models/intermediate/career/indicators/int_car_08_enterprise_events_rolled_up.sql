-- CAR-08 Число мероприятий с предприятиями = Σ over the schools' reports of `Мероприятий с
-- предприятиями`; region, municipalities, schools.
-- Count (unit ед.): value = numerator, denominator NULL; every territory with a report in
-- the year has a row (0 where the sum is 0 or every field is empty).

with

reports as (
    select * from {{ ref('int_career_reports_deduplicated') }}
),

territories as (
    select * from {{ ref('int_career_territories_with_rows') }}
),

facts as (
    select
        year,
        ate_code,
        school_code,
        enterprise_events as numerator,
        1 as denominator
    from reports
    where enterprise_events is not null
),

counted as (
    {{ rollup_indicator('CAR-08', 'facts', 'count') }}
),

breakdowns as (
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
    {{ zero_filled_counts('CAR-08', 'counted', 'territories', 'breakdowns') }}
)

select * from indicator
