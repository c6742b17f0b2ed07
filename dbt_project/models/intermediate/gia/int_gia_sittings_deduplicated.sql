-- One row per exam sitting row of the newest load that contains that sitting.
-- A sitting is (person_key, year, gia_level, exam, subject_code, stage, exam_date); when two
-- loaded files contain it, only the rows of the newest load (largest load_id) are kept.
-- All statuses are kept (GIA-04 publishes zeros for territories with any row, any status).

{{ config(**incremental_by_year()) }}

with

sittings as (
    select * from {{ ref('stg_fis_gia__results') }} {{ incremental_years_filter() }}
),

with_newest_load as (
    select
        *,
        max(load_id) over (
            partition by person_key, year, gia_level, exam, subject_code, stage, exam_date
        ) as newest_load_id
    from sittings
),

deduplicated as (
    select
        load_id,
        source_row,
        person_key,
        year,
        gia_level,
        exam,
        stage,
        stage_order,
        exam_date,
        ate_code,
        school_code,
        participant_category,
        subject_code,
        primary_score,
        test_score,
        mark,
        status,
        is_valid
    from with_newest_load
    where load_id = newest_load_id
)

select * from deduplicated
