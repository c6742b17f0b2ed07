-- One row per school and year: the school's career-guidance report ("one row per school per
-- year", sources.md). Should several rows of one school and year have been loaded (e.g. by
-- files of different scope), the newest load wins, within it the last line.
-- The report belongs to the school and the municipality (Код АТЕ) in its row.

{{ config(**incremental_by_year()) }}

with

reports as (
    select * from {{ ref('stg_uploads__career_reports') }} {{ incremental_years_filter() }}
),

deduplicated as (
    select distinct on (year, school_code)
        *,
        count(*) over (partition by year, school_code) as n_rows
    from reports
    where school_code is not null and year is not null
    order by year asc, school_code asc, load_id desc, source_row desc
)

-- the columns of stg_uploads__career_reports, then n_rows (documented in the yml)
select * from deduplicated  -- noqa: AM04
