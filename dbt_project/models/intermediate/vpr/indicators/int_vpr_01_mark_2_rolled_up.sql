-- VPR-01 Доля отметок «2» по ВПР = works with mark 2 / works, by grade and subject;
-- region, municipalities, schools.

{{ config(**incremental_by_year()) }}

with

works as (
    select * from {{ ref('int_vpr_works_compared') }} {{ incremental_years_filter() }}
),

indicator as (
    {{ rollup_indicator(
        'VPR-01', 'works', 'share', dims=['grade', 'subject_code'],
        numerator='is_mark_2::integer', denominator='1',
        school_groups=true, lineage=true
    ) }}
)

select * from indicator
