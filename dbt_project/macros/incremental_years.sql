{#
    Incremental builds by year (issue 8 #4). orchestration/incremental.py decides per run:
    a full build (`dbt build --full-refresh`) or an incremental one with var changed_years =
    the years whose raw rows changed since the last published build.

    A model opts in with

        {{ config(**incremental_by_year()) }}
        {{ config(**incremental_by_year(reads_previous_years=1)) }}   -- it reads year-1 too

    and may narrow its inputs to the years it needs (optional, for speed only):

        results as (
            select * from {{ ref('int_gia_results_selected') }} {{ incremental_years_filter() }}
        ),

    A model that reads earlier years (year - 1, lag over years, …) declares how many, even when
    it is not incremental: {{ config(meta={'reads_previous_years': 1}) }}. The years a model
    rebuilds are changed_years, each extended forward by the declared reads_previous_years of
    the model and of every model upstream of it (a change of 2023 changes a 2024 that reads
    2023). Its strategy `replace_years` deletes those years from the table and inserts them
    from the model's query, filtered to them: the table equals a full build of it.

    Where the table is (the shadow schemas of publication.py are empty at the start of a run),
    on-run-start `clone_published_incremental_models` copies each incremental model's published
    table, without the years to be rebuilt, into the shadow. A model without a published table
    (new) is built whole.
#}

{% macro incremental_by_year(reads_previous_years=0) %}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'replace_years',
        'on_schema_change': 'fail',
        'meta': {'reads_previous_years': reads_previous_years},
    }) }}
{% endmacro %}


{# reads_previous_years of `node` plus the largest cumulative one among its upstream models #}
{% macro years_lookback(node) %}
    {%- set own = ((node.config or {}).get('meta') or {}).get('reads_previous_years', 0) | int -%}
    {%- set ns = namespace(upstream=0) -%}
    {%- for parent_id in node.depends_on.nodes if parent_id in graph.nodes
        and graph.nodes[parent_id].resource_type == 'model' -%}
        {%- set ns.upstream = [ns.upstream, years_lookback(graph.nodes[parent_id]) | int] | max -%}
    {%- endfor -%}
    {{ return(own + ns.upstream) }}
{% endmacro %}


{# the years `node` (default: this model) rebuilds; none = all (var changed_years not given) #}
{% macro rebuilt_years(node=none) %}
    {%- set changed = var('changed_years', none) -%}
    {%- if changed is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = node or graph.nodes[model.unique_id] -%}
    {%- set lookback = years_lookback(node) | int -%}
    {%- set years = [] -%}
    {%- for year in changed -%}
        {%- for step in range(lookback + 1) -%}
            {%- do years.append(year | int + step) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(years | unique | sort) }}
{% endmacro %}


{# SQL integer[] literal of `years` #}
{% macro years_array(years) -%}
    array[{{ years | join(', ') }}]::integer[]
{%- endmacro %}


{#
    `where year = any(<years>)` for an input of this model in an incremental run: the years it
    rebuilds and the reads_previous_years before them; nothing otherwise. After a where clause
    of its own: incremental_years_filter('and').
#}
{% macro incremental_years_filter(keyword='where') -%}
    {#- unit tests (no `this`) test the full query #}
    {%- if this is not none and is_incremental() -%}
        {%- set rebuilt = rebuilt_years() -%}
        {%- if rebuilt is not none -%}
            {%- set own = (model.config.get('meta') or {}).get('reads_previous_years', 0) | int -%}
            {%- set years = [] -%}
            {%- for year in rebuilt -%}
                {%- for step in range(own + 1) -%}
                    {%- do years.append(year - step) -%}
                {%- endfor -%}
            {%- endfor -%}
            {{ keyword }} year = any({{ years_array(years | unique | sort) }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{# incremental_strategy 'replace_years': the rebuilt years of the table replaced by the query's #}
{% macro get_incremental_replace_years_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set years = rebuilt_years() -%}
    delete from {{ target }}
    {%- if years is not none %} where year = any({{ years_array(years) }}){% endif %};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
    {%- if years is not none %} where year = any({{ years_array(years) }}){% endif %}
{% endmacro %}


{#
    on-run-start: in an incremental run into shadow schemas, each incremental model's
    published table (its schema without the suffix) is copied into the shadow, less the years
    the model rebuilds. Renders the statements (run by dbt outside a transaction, hence the
    explicit one), or nothing.
#}
{% macro clone_published_incremental_models() %}
    {%- set suffix = env_var('EDU_DWH_SCHEMA_SUFFIX', '') | trim -%}
    {%- set statements = [] -%}
    {%- if execute and suffix and var('changed_years', none) is not none
        and not flags.FULL_REFRESH -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model'
            and node.package_name == project_name
            and node.config.materialized == 'incremental'
            and node.schema.endswith(suffix) -%}
            {%- set published = adapter.get_relation(
                node.database, node.schema[:-(suffix | length)], node.alias
            ) -%}
            {%- set existing = adapter.get_relation(node.database, node.schema, node.alias) -%}
            {%- if published is not none and existing is none -%}
                {%- set shadow = api.Relation.create(
                    database=node.database, schema=node.schema, identifier=node.alias, type='table'
                ) -%}
                {#- dbt cached the relations before this hook: tell it the copy exists #}
                {%- do adapter.cache_added(shadow) -%}
                {%- do statements.append(
                    'create table ' ~ shadow ~ ' (like ' ~ published ~ ' including all);\n'
                    ~ 'insert into ' ~ shadow ~ ' select * from ' ~ published
                    ~ ' where not (year = any(' ~ years_array(rebuilt_years(node)) ~ '));\n'
                    ~ 'analyze ' ~ shadow ~ ';'
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if statements -%}
begin;
{{ statements | join('\n') }}
commit;
    {%- endif -%}
{% endmacro %}


{#
    Data tests of an incremental run check the years it rebuilt (issue 8 #4: validation cost
    follows the change). dbt wraps the model a generic test reads in get_where_subquery; this
    override adds `year = any(<rebuilt years>)` when the tested model is incremental by year
    and the build is incremental. The other years of its table are the published rows, which
    passed the same tests in the build that published them: the project's fingerprint is the
    same, otherwise the build would be full (orchestration/incremental.py). A full build tests
    every row. Tests of other models, singular tests and a test's own `where` are unchanged.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set clauses = ['(' ~ where ~ ')'] if where else [] -%}
    {%- set tested_id = model.get('attached_node') if model is mapping else none -%}
    {%- if execute and tested_id and var('changed_years', none) is not none
        and not flags.FULL_REFRESH -%}
        {%- set tested = graph.nodes.get(tested_id) -%}
        {%- if tested is not none and tested.config.materialized == 'incremental'
            and tested.config.incremental_strategy == 'replace_years'
            and relation.identifier == tested.alias -%}
            {%- do clauses.append('year = any(' ~ years_array(rebuilt_years(tested)) ~ ')') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if clauses -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ clauses | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
