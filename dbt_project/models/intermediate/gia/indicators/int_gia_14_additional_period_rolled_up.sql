-- GIA-14 Доля выпускников, проходивших ГИА в дополнительный (сентябрьский) период =
-- graduates with >= 1 valid result from a `дополнительный` sitting / graduates who sat that
-- exam (category ВТГ, >= 1 valid result of that form), by exam. Looks at every valid
-- sitting, not only the best ones. Person-level (attributed school / municipality).

{{ config(**incremental_by_year()) }}

with

sittings as (
    select * from {{ ref('int_gia_sittings_validated') }} {{ incremental_years_filter() }}
),

persons as (
    select * from {{ ref('int_gia_persons_attributed') }} {{ incremental_years_filter() }}
),

graduate_exams as (
    select
        persons.person_key,
        persons.year,
        persons.ate_code,
        persons.school_code,
        sittings.exam,
        bool_or(sittings.stage = 'дополнительный') as has_additional,
        min(sittings.load_id) as load_id
    from persons
    inner join sittings
        on
            persons.person_key = sittings.person_key
            and persons.year = sittings.year
            and persons.gia_level = sittings.gia_level
    where persons.is_graduate
    group by
        persons.person_key,
        persons.year,
        persons.gia_level,
        persons.ate_code,
        persons.school_code,
        sittings.exam
),

indicator as (
    {{ rollup_indicator(
        'GIA-14', 'graduate_exams', 'share', dims=['exam'],
        numerator='coalesce(has_additional, false)::integer', denominator='1', lineage=true
    ) }}
)

select * from indicator
