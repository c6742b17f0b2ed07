{#
    Building blocks of the indicator models (models/intermediate/*/indicators/).

    An indicator model prepares a "facts" relation, one row per counted unit (a result, a
    person, ...) with the columns
        year, ate_code, school_code,
        every breakdown column it publishes (a subset of exam, subject_code, grade,
        breakdown_key) and, when by_category, participant_category,
    and calls rollup_indicator(), which emits the published rows of every territory level.
    The indicator's formula is the call's `numerator` and `denominator`: SQL expressions over
    a row of facts, summed per territory (default: facts' own columns numerator and
    denominator), e.g. numerator='is_below_min::integer', denominator='1'.
    Every indicator model returns the columns of indicator_columns(), in that order.
#}

{% macro indicator_breakdown_columns() %}
    {{ return({
        'exam': 'text', 'subject_code': 'integer', 'grade': 'integer', 'breakdown_key': 'text'
    }) }}
{% endmacro %}

{# the columns that identify a published row of an indicator, besides indicator_code #}
{% macro indicator_key_columns() %}
    {{ return([
        'year', 'territory_level', 'territory_code',
        'exam', 'subject_code', 'participant_category', 'grade', 'breakdown_key',
    ]) }}
{% endmacro %}

{% macro indicator_columns() %}
    {{ return(
        ['indicator_code'] + indicator_key_columns() + ['numerator', 'denominator', 'value']
    ) }}
{% endmacro %}


{#
    value of a row from its numerator and denominator, rounded to 6 decimals:
    share -> percent 0–100, mean / ratio -> quotient, count -> the numerator.
#}
{% macro indicator_value(kind, numerator, denominator) -%}
    {%- if kind == 'share' -%}
        round(100.0 * {{ numerator }} / nullif({{ denominator }}, 0), 6)
    {%- elif kind in ('mean', 'ratio') -%}
        round({{ numerator }}::numeric / nullif({{ denominator }}, 0), 6)
    {%- elif kind == 'count' -%}
        {{ numerator }}::numeric
    {%- else -%}
        {{ exceptions.raise_compiler_error("indicator_value: unknown kind " ~ kind) }}
    {%- endif -%}
{%- endmacro %}


{#
    Sum numerator and denominator of `facts` per territory: the region (code 00, every row),
    each municipality (ate_code) and each school (school_code; rows without one are left
    out at that level). `dims` are the breakdown columns taken from facts, the others are
    NULL. by_category adds, besides the row per participant_category, the row `все`.
    `numerator`, `denominator`: the expressions summed (see above).
    school_groups: facts carry school_group_kind and school_group (see rollup_indicator), which
    are grouped by and returned after denominator.
    extra_keys: further columns of facts grouped by and returned last (lineage: load_id, see
    rollup_indicator).
    Returns: year, territory_level, territory_code, exam, subject_code, participant_category,
    grade, breakdown_key, numerator, denominator[, school_group_kind, school_group][, extra_keys].
#}
{% macro rollup_to_territories(
    facts, dims=[], by_category=false, levels=['region', 'municipality', 'school'],
    numerator='numerator', denominator='denominator', school_groups=false, extra_keys=[]
) %}
    {%- set breakdowns = indicator_breakdown_columns() -%}
    {%- for dim in dims if dim not in breakdowns -%}
        {{ exceptions.raise_compiler_error("rollup_to_territories: unknown breakdown " ~ dim) }}
    {%- endfor -%}
    {%- set territory_key = {
        'region': none, 'municipality': 'ate_code', 'school': 'school_code'
    } -%}
    {%- for level in levels %}
        {%- if level not in territory_key -%}
            {{ exceptions.raise_compiler_error("rollup_to_territories: unknown level " ~ level) }}
        {%- endif -%}
        {%- set key = territory_key[level] -%}
        {%- set group_keys = ['year'] + ([key] if key else []) + dims
            + (['school_group_kind', 'school_group'] if school_groups else []) + extra_keys %}
    {% if not loop.first %}union all{% endif %}
    select
        year,
        '{{ level }}'::text as territory_level,
        {{ (key ~ '::text') if key else "'00'::text" }} as territory_code,
        {%- for dim, data_type in breakdowns.items() %}
        {{ dim if dim in dims else 'null::' ~ data_type }} as {{ dim }},
        {%- endfor %}
        {%- if by_category %}
        case
            when grouping(participant_category) = 1 then 'все'
            else participant_category
        end::text as participant_category,
        {%- else %}
        null::text as participant_category,
        {%- endif %}
        sum({{ numerator }})::numeric as numerator,
        sum({{ denominator }})::numeric as denominator
        {%- if school_groups %},
        school_group_kind,
        school_group
        {%- endif %}
        {%- for extra_key in extra_keys %},
        {{ extra_key }}
        {%- endfor %}
    from {{ facts }}
    {%- if key %}
    where {{ key }} is not null
    {%- endif %}
    {%- if by_category %}
    group by grouping sets (
        ({{ (group_keys + ['participant_category']) | join(', ') }}),
        ({{ group_keys | join(', ') }})
    )
    {%- else %}
    group by {{ group_keys | join(', ') }}
    {%- endif %}
    {%- endfor %}
{% endmacro %}


{#
    The published rows of one indicator from a facts CTE (see rollup_to_territories):
    kind share / mean / ratio -> rows with denominator > 0 only (an empty denominator gives
    no row); kind count -> value = numerator, denominator NULL (`denominator` is not used).
    Returns the columns of indicator_columns().

    school_groups=true (indicators.md "School groups"; the model must be listed in var
    school_group_indicators): the rows also carry school_group_kind and school_group (NULL on
    the ordinary rows), and the region and municipality rows are repeated per school group:
    a fact counts in the groups of its school (int_school_groups), a fact without a school
    in none; a group without facts in a territory has no row. The family marts keep the rows
    with school_group_kind NULL, marts.indicator_values_by_school_group the others.

    lineage=true (issue 11, "every number explains itself"; the model must be listed in var
    lineage_indicators): facts carry `load_id`, the audit.loads row of the file the counted
    unit comes from, and the rows also carry `load_id` (NULL on the ordinary and school-group
    rows): every territory row is repeated per contributing load, numerator and denominator
    summed over that load's facts only (shares: rows with a per-load denominator > 0; counts:
    with a per-load numerator > 0), so the loads of a row add up to it. These lineage rows come
    from the very facts the indicator is computed from; the family marts keep the rows with
    load_id NULL, marts.indicator_row_sources the others (rows_counted = the per-load
    denominator, for counts the per-load numerator).
#}
{% macro rollup_indicator(
    indicator_code, facts, kind, dims=[], by_category=false,
    levels=['region', 'municipality', 'school'], numerator='numerator', denominator='denominator',
    school_groups=false, lineage=false
) %}
    {%- if school_groups and execute
        and model.name not in var('school_group_indicators') -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": rollup_indicator(school_groups=true) but the model is not in var school_group_indicators"
        ) }}
    {%- endif %}
    {#- (a unit test of the model compiles it under the test's name: not checked) #}
    {%- if lineage and execute and model.resource_type == 'model'
        and model.name not in var('lineage_indicators') -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": rollup_indicator(lineage=true) but the model is not in var lineage_indicators"
        ) }}
    {%- endif %}
    {#- the columns of rollup_to_territories, in its order #}
    {%- set rolled_up_keys = ['year', 'territory_level', 'territory_code']
        + indicator_breakdown_columns().keys() | list + ['participant_category'] %}
    {%- set rollup_denominator = 'null::numeric' if kind == 'count' else denominator %}
    {#- Integer formulas (the usual `flag::integer` over `1`) are summed per school first:
        the territory levels, the school groups and the lineage rows then roll up those sums
        (integer sums are exact in any grouping, so every number is the same) instead of
        every fact — a school's facts joined to its groups were 4× the facts, sorted. #}
    {%- set integer_sums = (numerator == '1' or numerator.endswith('::integer'))
        and rollup_denominator in ('1', 'null::numeric') %}
    {%- if integer_sums %}
        {%- set by_school_keys = ['year', 'ate_code', 'school_code'] + dims
            + (['participant_category'] if by_category else [])
            + (['load_id'] if lineage else []) %}
    {#- a plain select (the call may stand in a union): the CTE inside a subquery #}
    select * from (
    with facts_by_school as (
        select
            {{ by_school_keys | join(',\n            ') }},
            sum({{ numerator }}) as numerator,
            sum({{ rollup_denominator }}) as denominator
        from {{ facts }}
        group by {{ by_school_keys | join(', ') }}
    )

        {%- set facts = 'facts_by_school' %}
        {%- set numerator = 'numerator' %}
        {%- set rollup_denominator = 'denominator' %}
    {%- endif %}
    select
        '{{ indicator_code }}'::text as indicator_code,
        {{ indicator_key_columns() | join(',\n        ') }},
        numerator,
        {% if kind == 'count' %}null::numeric{% else %}denominator{% endif %} as denominator,
        {{ indicator_value(kind, 'numerator', 'denominator') }} as value
        {%- if school_groups %},
        school_group_kind,
        school_group
        {%- endif %}
        {%- if lineage %},
        load_id
        {%- endif %}
    from (
        {%- if school_groups or lineage %}
        select
            territory_rows.*
            {%- if school_groups %},
            null::text as school_group_kind,
            null::text as school_group
            {%- endif %}
            {%- if lineage %},
            null::bigint as load_id
            {%- endif %}
        from (
        {%- endif %}
        {{ rollup_to_territories(
            facts, dims=dims, by_category=by_category, levels=levels, numerator=numerator,
            denominator=rollup_denominator
        ) }}
        {%- if school_groups or lineage %}
        ) as territory_rows
        {%- endif %}
        {%- if school_groups %}
        union all
        select
            group_rows.*
            {%- if lineage %},
            null::bigint as load_id
            {%- endif %}
        from (
        {{ rollup_to_territories(
            '(select ' ~ facts ~ '.*, school_groups.school_group_kind, school_groups.school_group'
            ~ ' from ' ~ facts ~ ' inner join ' ~ ref('int_school_groups') ~ ' as school_groups'
            ~ ' on ' ~ facts ~ '.school_code = school_groups.school_code) as grouped_facts',
            dims=dims, by_category=by_category,
            levels=levels | reject('equalto', 'school') | list,
            numerator=numerator, denominator=rollup_denominator, school_groups=true
        ) }}
        ) as group_rows
        {%- endif %}
        {%- if lineage %}
        union all
        select
            {{ rolled_up_keys | join(', ') }},
            numerator,
            denominator,
            {%- if school_groups %}
            null::text as school_group_kind,
            null::text as school_group,
            {%- endif %}
            load_id::bigint as load_id
        from (
        {{ rollup_to_territories(
            facts, dims=dims, by_category=by_category, levels=levels, numerator=numerator,
            denominator=rollup_denominator, extra_keys=['load_id']
        ) }}
        ) as load_rows
        where load_id is not null  -- a fact without a load (none in a build) traces nowhere
        {%- endif %}
    ) as rolled_up
    {%- if kind != 'count' %}
    where denominator > 0
    {%- elif lineage %}
    where load_id is null or numerator > 0
    {%- endif %}
    {%- if integer_sums %}
    ) as summed_by_school
    {%- endif %}
{% endmacro %}


{#
    Aggregate: the sum of the `n` highest values of `column` in the group (all of them when
    the group has fewer; NULLs sort first, as in `order by column desc`, and add nothing).
#}
{% macro sum_of_best(column, n) -%}
    (
        select sum(best)
        from unnest((array_agg({{ column }} order by {{ column }} desc))[1:{{ n }}]) as best
    )
{%- endmacro %}
