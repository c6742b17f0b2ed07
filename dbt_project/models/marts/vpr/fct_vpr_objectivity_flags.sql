-- Audit trail of VPR-04: one row per flagged school × rule × (grade, subject for rule b) ×
-- year, with everything needed to re-check the flag by hand (int_vpr_objectivity_checks):
--   rule 'a': works = the school's works with a journal mark (>= 20), value = their
--             `повысили` share in %, threshold = 15 (flag: value >= threshold);
--   rule 'b': works = the school's works in that grade × subject (>= 10), value = its mean
--             primary score, m / s = mean / sample standard deviation of the mean primary
--             scores of the region's schools with >= 10 works there (schools_in_comparison of
--             them, the school included), threshold = m + 2s (flag: value > threshold).
-- A school flagged by several checks has several rows; VPR-04 counts it once.

{{ config(**incremental_by_year()) }}

with

checks as (
    select * from {{ ref('int_vpr_objectivity_checks') }} {{ incremental_years_filter() }}
),

territories as (
    select * from {{ ref('int_territories_unioned') }}
),

flags as (
    select
        checks.year,
        checks.school_code,
        territories.territory_name as school_name,
        checks.ate_code,
        checks.rule,
        checks.grade,
        checks.subject_code,
        checks.works,
        checks.value,
        checks.threshold,
        checks.m,
        checks.s,
        checks.schools_in_comparison
    from checks
    left join territories
        on
            territories.territory_level = 'school'
            and checks.school_code = territories.territory_code
    where checks.is_flagged
),

final as (
    select
        year::integer as year,
        school_code::text as school_code,
        school_name::text as school_name,
        ate_code::text as ate_code,
        rule::text as rule,
        grade::integer as grade,
        subject_code::integer as subject_code,
        works::integer as works,
        value::numeric as value,
        threshold::numeric as threshold,
        m::numeric as m,
        s::numeric as s,
        schools_in_comparison::integer as schools_in_comparison
    from flags
)

select * from final
