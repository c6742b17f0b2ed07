-- VPR-02 Доля отметок «5» по ВПР = works with mark 5 / works, by grade and subject;
-- region, municipalities, schools.

{{ config(**incremental_by_year()) }}

with

works as (
    select * from {{ ref('int_vpr_works_compared') }} {{ incremental_years_filter() }}
),

indicator as (
    {{ rollup_indicator(
        'VPR-02', 'works', 'share', dims=['grade', 'subject_code'],
        numerator='is_mark_5::integer', denominator='1',
        school_groups=true, lineage=true
    ) }}
)

select * from indicator
