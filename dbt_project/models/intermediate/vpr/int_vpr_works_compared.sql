-- One row per ВПР work (a row of raw.vpr_results), with its mark flags and the comparison of
-- the ВПР mark with the journal mark: `понизили` (ВПР mark < journal mark), `подтвердили` (=),
-- `повысили` (ВПР mark > journal mark), NULL when the journal mark is empty.
-- A work belongs to the school and municipality in its row.

{{ config(**incremental_by_year()) }}

with

works as (
    select * from {{ ref('stg_fis_oko__vpr_results') }} {{ incremental_years_filter() }}
),

compared as (
    select
        load_id,
        source_row,
        year,
        ate_code,
        school_code,
        grade,
        subject_code,
        student_code,
        primary_score,
        mark,
        journal_mark,
        mark = 2 as is_mark_2,
        mark = 5 as is_mark_5,
        journal_mark is not null as has_journal_mark,
        case
            when journal_mark is null then null
            when mark < journal_mark then 'понизили'
            when mark = journal_mark then 'подтвердили'
            else 'повысили'
        end::text as journal_comparison
    from works
)

select * from compared
