{#
    The published form of indicator rows (marts.indicator_values and
    marts.indicator_values_by_school_group): `rows` is a CTE with the columns of
    indicator_columns() (plus `extra_columns`, kept after value); adds the territory's name,
    the catalogue's unit and direction, the target and target_met, with the contract's types.
    Targets are matched on (indicator_code, year, level, territory_code, subject_code) only.
    Emits CTEs (catalogue, territories, targets, enriched, final) for a model's `with`.
#}
{% macro published_indicator_rows(rows, extra_columns=[]) %}
catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

territories as (
    select * from {{ ref('int_territories_unioned') }}
),

targets as (
    select * from {{ ref('int_targets_deduplicated') }}
),

enriched as (
    select
        {{ rows }}.indicator_code,
        {{ rows }}.year,
        {{ rows }}.territory_level,
        {{ rows }}.territory_code,
        territories.territory_name,
        {{ rows }}.exam,
        {{ rows }}.subject_code,
        {{ rows }}.participant_category,
        {{ rows }}.grade,
        {{ rows }}.breakdown_key,
        {{ rows }}.numerator,
        {{ rows }}.denominator,
        round({{ rows }}.value, 6) as value,
        catalogue.unit,
        nullif(catalogue.direction, '') as direction,
        targets.target_value
        {%- for column in extra_columns %},
        {{ rows }}.{{ column }}
        {%- endfor %}
    from {{ rows }}
    left join catalogue
        on {{ rows }}.indicator_code = catalogue.indicator_code
    left join territories
        on
            {{ rows }}.territory_level = territories.territory_level
            and {{ rows }}.territory_code = territories.territory_code
    left join targets
        on
            {{ rows }}.indicator_code = targets.indicator_code
            and {{ rows }}.year = targets.year
            and {{ rows }}.territory_level = targets.territory_level
            and {{ rows }}.territory_code = targets.territory_code
            and {{ rows }}.subject_code is not distinct from targets.subject_code
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
        {%- for column in extra_columns %},
        {{ column }}::text as {{ column }}
        {%- endfor %}
    from enriched
)
{% endmacro %}
