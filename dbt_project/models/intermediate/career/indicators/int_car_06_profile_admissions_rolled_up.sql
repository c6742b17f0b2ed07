-- CAR-06 Число поступивших в СПО и ВО по профилю = Σ over the schools' reports, one row each:
-- breakdown_key `СПО` (Σ `Поступили в СПО по профилю`) and `ВО` (Σ `Поступили в ВО по
-- профилю`); region, municipalities, schools.
-- Count: value = numerator, denominator NULL; every territory with a report in the year has
-- both rows (0 where the sum is 0 or every field is empty).

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
        'СПО'::text as breakdown_key,
        spo_profile as numerator,
        1 as denominator
    from reports
    where spo_profile is not null
    union all
    select
        year,
        ate_code,
        school_code,
        'ВО'::text as breakdown_key,
        vo_profile as numerator,
        1 as denominator
    from reports
    where vo_profile is not null
),

indicator as (
    {{ zero_filled_count_indicator(
        'CAR-06', 'facts', 'territories',
        breakdowns=[['breakdown_key']], values={'breakdown_key': ['СПО', 'ВО']}
    ) }}
)

select * from indicator
