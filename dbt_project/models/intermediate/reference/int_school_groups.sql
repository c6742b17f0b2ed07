-- The school groups of indicators.md "School groups": one row per school of the registry
-- and group kind. ШНОР / ШСУ → `да` / `нет`, `Тип местности` → `город` / `село`,
-- `Подчинённость` → its value. Where the registry was loaded more than once, the newest
-- load's row wins (as in int_territories_unioned); a school with an empty attribute is in
-- no group of that kind.

with

schools as (
    select * from {{ ref('stg_reference__schools') }}
),

schools_latest as (
    select distinct on (school_code) *
    from schools
    where school_code is not null
    order by school_code asc, load_id desc, source_row desc
),

school_groups as (
    select
        school_code,
        'ШНОР'::text as school_group_kind,
        case when is_shnor then 'да' else 'нет' end::text as school_group
    from schools_latest
    where is_shnor is not null
    union all
    select
        school_code,
        'ШСУ'::text as school_group_kind,
        case when is_shsu then 'да' else 'нет' end::text as school_group
    from schools_latest
    where is_shsu is not null
    union all
    select
        school_code,
        'Тип местности'::text as school_group_kind,
        locality::text as school_group
    from schools_latest
    where nullif(locality, '') is not null
    union all
    select
        school_code,
        'Подчинённость'::text as school_group_kind,
        subordination::text as school_group
    from schools_latest
    where nullif(subordination, '') is not null
)

select * from school_groups
