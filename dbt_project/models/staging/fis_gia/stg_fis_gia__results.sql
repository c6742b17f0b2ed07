with

source as (
    select * from {{ source('raw', 'gia_results') }}
    where replaced_by is null  -- current rows only (a row corrected by a later file is not)
),

renamed as (
    select
        load_id,
        source_row,
        person_key,
        year,
        gia_level::integer as gia_level,
        trim(form) as exam,
        trim(stage) as stage,
        case trim(stage)
            when 'досрочный' then 1
            when 'основной' then 2
            when 'резервный' then 3
            when 'дополнительный' then 4
        end as stage_order,
        exam_date,
        trim(ate_code) as ate_code,
        nullif(trim(school_code), '') as school_code,
        trim(category) as participant_category,
        subject_code,
        subject_name,
        primary_score,
        test_score,
        mark,
        trim(status) as status,
        trim(status) = 'действителен' as is_valid
    from source
)

select * from renamed
