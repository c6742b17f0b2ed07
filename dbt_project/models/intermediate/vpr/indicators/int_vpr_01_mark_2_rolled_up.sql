-- VPR-01 Доля отметок «2» по ВПР = works with mark 2 / works, by grade and subject;
-- region, municipalities, schools.

with

works as (
    select * from {{ ref('int_vpr_works_compared') }}
),

facts as (
    select
        year,
        ate_code,
        school_code,
        grade,
        subject_code,
        is_mark_2::integer as numerator,
        1 as denominator
    from works
),

indicator as (
    {{ rollup_indicator('VPR-01', 'facts', 'share', dims=['grade', 'subject_code']) }}
)

select * from indicator
