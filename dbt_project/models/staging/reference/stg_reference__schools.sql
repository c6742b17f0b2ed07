with

source as (
    select * from {{ source('raw', 'schools') }}
    where replaced_by is null  -- current rows only (a row corrected by a later file is not)
),

renamed as (
    select
        load_id,
        source_row,
        trim(school_code) as school_code,
        trim(ate_code) as ate_code,
        trim(name) as school_name,
        trim(locality) as locality,
        trim(subordination) as subordination,
        is_shnor,
        is_shsu
    from source
)

select * from renamed
