-- Which schools of the registry sent their uploads (career report, olympiad results) in a
-- year: one row per year × source × school of the registry, for the years in which the
-- source has any row in the region (a year nobody uploaded is not a year of missing
-- uploads). `rows` = the school's current rows of that source and year (career: its
-- report, at most 1; olympiad: entries attributed to the school); 0 = nothing received.
-- Read by the municipality report pack (reporting/municipal.py, «Школы, требующие внимания»).

with

schools as (
    select
        territory_code as school_code,
        territory_name as school_name,
        ate_code as municipality_code
    from {{ ref('int_territories_unioned') }}
    where territory_level = 'school'
),

received as (
    select
        'career'::text as source,
        year,
        school_code,
        count(*) as n_rows
    from {{ ref('int_career_reports_deduplicated') }}
    group by year, school_code
    union all
    select
        'olympiad'::text as source,
        year,
        school_code,
        count(*) as n_rows
    from {{ ref('int_olympiad_entries_deduplicated') }}
    where school_code is not null
    group by year, school_code
),

source_years as (
    select distinct
        source,
        year
    from received
),

final as (
    select
        source_years.year::integer as year,
        source_years.source,
        schools.municipality_code::text as municipality_code,
        schools.school_code::text as school_code,
        schools.school_name::text as school_name,
        coalesce(received.n_rows, 0)::integer as rows_received,
        received.n_rows is not null as is_received
    from source_years
    cross join schools
    left join received
        on
            source_years.source = received.source
            and source_years.year = received.year
            and schools.school_code = received.school_code
)

select * from final
