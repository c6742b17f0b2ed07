with

source as (
    select * from {{ source('raw', 'targets') }}
    where replaced_by is null  -- current rows only (a row corrected by a later file is not)
),

renamed as (
    select
        load_id,
        source_row,
        trim(indicator_code) as indicator_code,
        year,
        trim(level) as target_level,
        case trim(level)
            when 'регион' then 'region'
            when 'муниципалитет' then 'municipality'
            when 'ОО' then 'school'
        end as territory_level,
        trim(territory_code) as territory_code,
        subject_code,
        target_value
    from source
)

select * from renamed
