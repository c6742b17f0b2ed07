{#
    Folders are schemas: a model's custom schema (set per folder in dbt_project.yml) is
    used verbatim, not prefixed with the target schema. Without one, the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
