-- Lineage of the ВПР indicator rows: per published row of VPR-01 … VPR-04 and contributing
-- load, how many of the load's units counted in the row's denominator. A work (one row of
-- raw.vpr_results) counts for its own load; a school (VPR-04) for the lowest load_id among
-- its works of the year. The facts repeat the indicator models' facts
-- (intermediate/vpr/indicators/); tests/dbt/test_lineage.py checks the sums.

with

works as (
    select * from {{ ref('int_vpr_works_compared') }}
),

schools as (
    select * from {{ ref('int_vpr_schools_aggregated') }}
),

journal_kinds as (
    select kind
    from (values ('понизили'), ('подтвердили'), ('повысили')) as kinds (kind)
),

journal_facts as (
    select
        works.year,
        works.ate_code,
        works.school_code,
        works.grade,
        works.subject_code,
        journal_kinds.kind as breakdown_key,
        works.load_id
    from works
    cross join journal_kinds
    where works.has_journal_mark
),

school_loads as (
    select
        year,
        school_code,
        min(load_id) as load_id
    from works
    where school_code is not null
    group by year, school_code
),

school_facts as (
    select
        schools.year,
        schools.ate_code,
        schools.school_code,
        school_loads.load_id
    from schools
    inner join school_loads
        on
            schools.year = school_loads.year
            and schools.school_code = school_loads.school_code
    where schools.n_works >= 1
),

row_sources as (
    {{ rollup_row_sources('VPR-01', 'works', dims=['grade', 'subject_code']) }}
    union all
    {{ rollup_row_sources('VPR-02', 'works', dims=['grade', 'subject_code']) }}
    union all
    {{ rollup_row_sources(
        'VPR-03', 'journal_facts', dims=['grade', 'subject_code', 'breakdown_key']
    ) }}
    union all
    {{ rollup_row_sources('VPR-04', 'school_facts', levels=['region', 'municipality']) }}
)

select * from row_sources
