{#
    Folders are schemas: a model's custom schema (set per folder in dbt_project.yml) is
    used verbatim, not prefixed with the target schema. Without one, the target schema.
    EDU_DWH_SCHEMA_SUFFIX (set by ingestion/dbt_runner.py) builds into shadow schemas,
    e.g. marts__build_12, that ingestion/publication.py switches in once everything passed.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set suffix = env_var('EDU_DWH_SCHEMA_SUFFIX', '') | trim -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}{{ suffix }}
    {%- else -%}
        {{ custom_schema_name | trim }}{{ suffix }}
    {%- endif -%}
{%- endmacro %}
