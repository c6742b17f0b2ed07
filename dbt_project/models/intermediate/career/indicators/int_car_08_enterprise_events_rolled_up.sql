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

indicator as (
    {{ zero_filled_count_indicator('CAR-08', 'facts', 'territories') }}
)

select * from indicator
