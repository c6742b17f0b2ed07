-- One row per territory of the published levels (region, municipality, school) with the
-- municipality it belongs to — for BI filters (e.g. the schools of one municipality).

with

territories as (
    select * from {{ ref('int_territories_unioned') }}
),

municipalities as (
    select
        territory_code,
        territory_name
    from territories
    where territory_level = 'municipality'
),

final as (
    select
        territories.territory_level,
        territories.territory_code,
        territories.territory_name,
        territories.ate_code as municipality_code,
        municipalities.territory_name as municipality_name
    from territories
    left join municipalities
        on territories.ate_code = municipalities.territory_code
)

select * from final
