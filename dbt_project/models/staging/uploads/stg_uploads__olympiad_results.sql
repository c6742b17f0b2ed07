-- One row per line of an uploads/olympiad file (ВсОШ and other competitions), typed and
-- trimmed. `year` = the second year of `Учебный год` (computed at ingestion; recomputed here
-- from school_year should it be missing). The subject is kept as uploaded, with spaces
-- collapsed and the first letter capitalised.

with

source as (
    select * from {{ source('raw', 'olympiad_results') }}
    where replaced_by is null  -- current rows only (a row corrected by a later file is not)
),

renamed as (
    select
        {{ upload_row_columns() }},
        trim(event) as event,
        trim(stage) as stage,
        -- people type «математика», «Математика », «Математика  »: one subject
        upper(left(regexp_replace(trim(subject), '\s+', ' ', 'g'), 1))
        || substr(regexp_replace(trim(subject), '\s+', ' ', 'g'), 2) as subject,
        grade::integer as grade,
        trim(ate_code) as ate_code,
        nullif(trim(school_code), '') as school_code,
        person_key,
        score,
        max_score,
        trim(status) as status
    from source
)

select * from renamed
