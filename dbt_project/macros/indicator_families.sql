{#
    The indicator families: var `indicator_families` of dbt_project.yml, family -> its
    indicator models (models/intermediate/<family>/indicators/), is the one list of them.
    The refs are made from it at parse time, so dbt orders the build by them.
#}

{#
    The indicator models of `family`, as listed in var indicator_families. When executing,
    checks the list against the graph: every model of models/intermediate/<family>/indicators/
    is listed and every listed model is there (a compile error names the difference).
#}
{% macro indicator_family_models(family) %}
    {%- set families = var('indicator_families') -%}
    {%- if family not in families -%}
        {{ exceptions.raise_compiler_error(
            "indicator_family_models: no family " ~ family ~ " in var indicator_families"
        ) }}
    {%- endif -%}
    {%- set listed = families[family] -%}
    {%- if execute -%}
        {%- set found = [] -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model'
            and node.package_name == project_name
            and node.fqn[1:4] == ['intermediate', family, 'indicators'] -%}
            {%- do found.append(node.name) -%}
        {%- endfor -%}
        {%- set unlisted = found | reject('in', listed) | sort -%}
        {%- set missing = listed | reject('in', found) | sort -%}
        {%- if unlisted or missing -%}
            {{ exceptions.raise_compiler_error(
                "var indicator_families." ~ family ~ " and models/intermediate/" ~ family
                ~ "/indicators/ disagree: not listed " ~ unlisted ~ ", not in the folder " ~ missing
            ) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(listed) }}
{% endmacro %}


{#
    The family marts fct_<family>_indicators, one per family of var indicator_families.
    When executing, checks that no other model is named like one (fct_*_indicators).
#}
{% macro indicator_family_marts() %}
    {%- set marts = [] -%}
    {%- for family in var('indicator_families') -%}
        {%- do marts.append('fct_' ~ family ~ '_indicators') -%}
    {%- endfor -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model'
            and node.package_name == project_name
            and node.name.startswith('fct_') and node.name.endswith('_indicators')
            and node.name not in marts -%}
            {{ exceptions.raise_compiler_error(
                "model " ~ node.name ~ " looks like a family mart but its family is not in var indicator_families"
            ) }}
        {%- endfor -%}
    {%- endif -%}
    {{ return(marts) }}
{% endmacro %}


{#
    The union of `models` (each returning the columns of indicator_columns()): a CTE per model,
    then `unioned`. Returns a whole query.
#}
{% macro union_indicator_models(models) %}
with

{% for model_name in models %}
{{ model_name }} as (
    select * from {{ ref(model_name) }} {{ incremental_years_filter() }}
),
{% endfor %}

unioned as (
    {%- for model_name in models %}
    {% if not loop.first %}union all{% endif %}
    select {{ indicator_columns() | join(', ') }}
    from {{ model_name }}
    {%- set filters = [] %}
    {%- if model_name in var('school_group_indicators') %}
        {%- do filters.append('school_group_kind is null') %}
    {%- endif %}
    {%- if model_name in var('lineage_indicators') %}
        {%- do filters.append('load_id is null') %}
    {%- endif %}
    {%- if filters %}
    -- the per-school-group rows and the per-load lineage rows are published apart
    where {{ filters | join(' and ') }}
    {%- endif %}
    {%- endfor %}
)

select * from unioned
{% endmacro %}
