-- CAR-06 Число поступивших в СПО и ВО по профилю = Σ over the schools' reports, one row each:
-- breakdown_key `СПО` (Σ `Поступили в СПО по профилю`) and `ВО` (Σ `Поступили в ВО по
-- профилю`); region, municipalities, schools.
-- Count: value = numerator, denominator NULL; every territory with a report in the year has
-- both rows (0 where the sum is 0 or every field is empty).

{{ config(**incremental_by_year()) }}

with

reports as (
    select * from {{ ref('int_career_reports_deduplicated') }} {{ incremental_years_filter() }}
),

-- one row per report and kind of admission: breakdown_key `СПО` / `ВО`
admissions as (
    select
        reports.year,
        reports.ate_code,
        reports.school_code,
        reports.load_id,
        admitted.breakdown_key,
        admitted.n_admitted
    from reports
    cross join
        lateral (
            values ('СПО'::text, reports.spo_profile), ('ВО'::text, reports.vo_profile)
        ) as admitted (breakdown_key, n_admitted)
    where admitted.n_admitted is not null
),

territories as (
    select * from {{ ref('int_career_territories_with_rows') }} {{ incremental_years_filter() }}
),

indicator as (
    {{ zero_filled_count_indicator(
        'CAR-06', 'admissions', 'territories', numerator='n_admitted',
        breakdowns=[['breakdown_key']], values={'breakdown_key': ['СПО', 'ВО']}, lineage=true
    ) }}
)

select * from indicator
