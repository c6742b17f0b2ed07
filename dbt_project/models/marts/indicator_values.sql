-- PUBLIC CONTRACT (spec/indicators.md "The published interface").
-- One row per indicator × year × territory level × territory × breakdown.
-- The union of the indicator family marts fct_<family>_indicators, one per family of var
-- indicator_families (dbt_project.yml, macros/indicator_families.sql); each returns the
-- columns of the macro indicator_columns(). Adding a family = one model per family (e.g.
-- marts/vpr/fct_vpr_indicators.sql) + the family and its indicator models in that var.
-- Names, unit, direction and targets: macros/published_indicator_rows.sql.

{{ config(**incremental_by_year()) }}

with

family_rows as (
    {%- for model_name in indicator_family_marts() %}
    {% if not loop.first %}union all{% endif %}
    select {{ indicator_columns() | join(', ') }}
    from {{ ref(model_name) }} {{ incremental_years_filter() }}
    {%- endfor %}
),

{{ published_indicator_rows('family_rows') }}

select * from final
