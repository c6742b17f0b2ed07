-- CAR-03 Доля выпускников 9 и 11 классов, завершивших профессиональное обучение = Σ graduates who
-- completed vocational training / Σ (9th + 11th graduates); region, municipalities, schools.
-- Sums over the schools' reports (int_career_reports_deduplicated, one per school and year);
-- a report with an empty numerator or denominator field is left out of both sums; an empty
-- denominator (sum 0) gives no row.

with

reports as (
    select * from {{ ref('int_career_reports_deduplicated') }}
),

facts as (
    select
        year,
        ate_code,
        school_code,
        vocational_completed as numerator,
        grads_9 + grads_11 as denominator
    from reports
    where vocational_completed is not null and grads_9 is not null and grads_11 is not null
),

indicator as (
    {{ rollup_indicator('CAR-03', 'facts', 'share') }}
)

select * from indicator
