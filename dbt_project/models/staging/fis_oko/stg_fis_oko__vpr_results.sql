-- One row per ВПР work (a row of raw.vpr_results = one student's work in one subject), typed
-- and trimmed. Every loaded row is a work: no deduplication (a corrected file already
-- replaced its predecessor at ingestion). The per-task scores are not used downstream.

with

source as (
    select * from {{ source('raw', 'vpr_results') }}
    where replaced_by is null  -- current rows only (a row corrected by a later file is not)
),

renamed as (
    select
        load_id,
        source_row,
        year,
        trim(ate_code) as ate_code,
        nullif(trim(school_code), '') as school_code,
        grade::integer as grade,
        nullif(trim(class_letter), '') as class_letter,
        trim(student_code) as student_code,
        subject_code,
        primary_score,
        mark::integer as mark,
        journal_mark::integer as journal_mark
    from source
)

select * from renamed
