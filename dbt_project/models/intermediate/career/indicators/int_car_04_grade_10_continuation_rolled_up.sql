-- CAR-04 Доля выпускников 9 классов, продолживших обучение в 10 классе = Σ 9th graduates
-- continuing in grade 10 / Σ 9th graduates; region, municipalities, schools.
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
        grads_9_continued as numerator,
        grads_9 as denominator
    from reports
    where grads_9_continued is not null and grads_9 is not null
),

indicator as (
    {{ rollup_indicator('CAR-04', 'facts', 'share') }}
)

select * from indicator
