-- PUBLIC CONTRACT (spec/indicators.md "The published interface").
-- One row per indicator × year × territory level × territory × breakdown.
-- The union of the indicator family marts fct_<family>_indicators, one per family of var
-- indicator_families (dbt_project.yml, macros/indicator_families.sql); each returns the
-- columns of the macro indicator_columns(). Adding a family = one model per family (e.g.
-- marts/vpr/fct_vpr_indicators.sql) + the family and its indicator models in that var.

{{ config(**incremental_by_year()) }}

with

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

territories as (
    select * from {{ ref('int_territories_unioned') }}
),

targets as (
    select * from {{ ref('int_targets_deduplicated') }}
),

family_rows as (
    {%- for model_name in indicator_family_marts() %}
    {% if not loop.first %}union all{% endif %}
    select {{ indicator_columns() | join(', ') }}
    from {{ ref(model_name) }} {{ incremental_years_filter() }}
    {%- endfor %}
),

enriched as (
    select
        family_rows.indicator_code,
        family_rows.year,
        family_rows.territory_level,
        family_rows.territory_code,
        territories.territory_name,
        family_rows.exam,
        family_rows.subject_code,
        family_rows.participant_category,
        family_rows.grade,
        family_rows.breakdown_key,
        family_rows.numerator,
        family_rows.denominator,
        round(family_rows.value, 6) as value,
        catalogue.unit,
        nullif(catalogue.direction, '') as direction,
        targets.target_value
    from family_rows
    left join catalogue
        on family_rows.indicator_code = catalogue.indicator_code
    left join territories
        on
            family_rows.territory_level = territories.territory_level
            and family_rows.territory_code = territories.territory_code
    left join targets
        on
            family_rows.indicator_code = targets.indicator_code
            and family_rows.year = targets.year
            and family_rows.territory_level = targets.territory_level
            and family_rows.territory_code = targets.territory_code
            and family_rows.subject_code is not distinct from targets.subject_code
),

final as (
    select
        indicator_code::text as indicator_code,
        year::integer as year,
        territory_level::text as territory_level,
        territory_code::text as territory_code,
        territory_name::text as territory_name,
        exam::text as exam,
        subject_code::integer as subject_code,
        participant_category::text as participant_category,
        grade::integer as grade,
        breakdown_key::text as breakdown_key,
        numerator::numeric as numerator,
        denominator::numeric as denominator,
        value::numeric as value,
        unit::text as unit,
        direction::text as direction,
        target_value::numeric as target_value,
        case
            when target_value is null or value is null then null
            when direction = '↓' then value <= target_value
            when direction = '↑' then value >= target_value
        end::boolean as target_met
    from enriched
)

select * from final
