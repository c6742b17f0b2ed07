with

source as (
    select * from {{ source('raw', 'diagnostic_results') }}
    where replaced_by is null  -- current rows only (a row corrected by a later file is not)
),

renamed as (
    select
        load_id,
        source_row,
        person_key,
        school_year,
        year,
        work_number::integer as work_number,
        'ДР' || work_number::text as work_key,
        work_date,
        trim(ate_code) as ate_code,
        nullif(trim(school_code), '') as school_code,
        subject_code,
        primary_score,
        test_score,
        mark::integer as mark,
        trim(status) as status,
        trim(status) = 'выполнял' as is_participant
    from source
)

select * from renamed
