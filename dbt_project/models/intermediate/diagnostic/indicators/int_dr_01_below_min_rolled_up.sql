-- DR-01 Доля участников ДР, не преодолевших минимальный порог = participants of work n below
-- the minimum / participants of work n, by work (breakdown_key ДР1, ДР2, …) and subject;
-- region, municipalities, schools, and region / municipalities per school group.

{{ config(**incremental_by_year()) }}

with

participants as (
    select
        *,
        work_key as breakdown_key
    from {{ ref('int_diagnostic_participants_flagged') }} {{ incremental_years_filter() }}
),

indicator as (
    {{ rollup_indicator(
        'DR-01', 'participants', 'share', dims=['subject_code', 'breakdown_key'],
        numerator='is_below_min::integer', denominator='1', school_groups=true,
        lineage=true
    ) }}
)

select * from indicator
