-- VPR-04 Доля ОО с признаками необъективности результатов ВПР = schools flagged / schools
-- with >= 1 work in the year; region and municipalities. A school is flagged when any of its
-- checks in int_vpr_objectivity_checks is flagged (rule (a) or rule (b) in some grade ×
-- subject). A school counts in the municipality of its rows (int_vpr_schools_aggregated).

{{ config(**incremental_by_year()) }}

with

schools as (
    select * from {{ ref('int_vpr_schools_aggregated') }} {{ incremental_years_filter() }}
),

-- a school counts (lineage) for the lowest load_id among its works of the year
school_loads as (
    select
        year,
        school_code,
        min(load_id) as load_id
    from {{ ref('int_vpr_works_compared') }}
    where school_code is not null {{ incremental_years_filter('and') }}
    group by year, school_code
),

checks as (
    select * from {{ ref('int_vpr_objectivity_checks') }} {{ incremental_years_filter() }}
),

flagged_schools as (
    select
        year,
        school_code
    from checks
    group by year, school_code
    having bool_or(is_flagged)
),

facts as (
    select
        schools.year,
        schools.ate_code,
        schools.school_code,
        school_loads.load_id,
        (flagged_schools.school_code is not null)::integer as numerator,
        1 as denominator
    from schools
    left join flagged_schools
        on
            schools.year = flagged_schools.year
            and schools.school_code = flagged_schools.school_code
    left join school_loads
        on
            schools.year = school_loads.year
            and schools.school_code = school_loads.school_code
    where schools.n_works >= 1
),

indicator as (
    {{ rollup_indicator(
        'VPR-04', 'facts', 'share', levels=['region', 'municipality'], lineage=true
    ) }}
)

select * from indicator
