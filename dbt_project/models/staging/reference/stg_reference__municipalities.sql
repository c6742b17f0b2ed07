with

source as (
    select * from {{ source('raw', 'municipalities') }}
    where replaced_by is null  -- current rows only (a row corrected by a later file is not)
),

renamed as (
    select
        load_id,
        source_row,
        trim(ate_code) as ate_code,
        trim(name) as municipality_name,
        trim(type) as municipality_type,
        trim(ate_code) = '00' as is_region_row
    from source
)

select * from renamed
