-- One row per line of an uploads/career file (a school's career-guidance report), typed and
-- trimmed. `year` = the second year of `Учебный год` (computed at ingestion; recomputed here
-- from school_year should it be missing). An empty model level is NULL.

with

source as (
    select * from {{ source('raw', 'career_reports') }}
    where replaced_by is null  -- current rows only (a row corrected by a later file is not)
),

renamed as (
    select
        {{ upload_row_columns() }},
        trim(ate_code) as ate_code,
        nullif(trim(school_code), '') as school_code,
        students_6_11,
        bvb_participants,
        bvb_recommendations,
        proektoria_participants,
        grads_9,
        grads_11,
        grads_9_continued,
        vocational_completed,
        profile_gia_choice,
        spo_profile,
        vo_profile,
        enterprise_events,
        nullif(trim(model_level), '') as model_level
    from source
)

select * from renamed
