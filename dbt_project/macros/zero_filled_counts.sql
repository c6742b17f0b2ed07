{#
    Counts published as 0 (indicators.md, Conventions: "Counts ... are published as 0 for every
    territory of the level that has any row of that source in that year").

    A count indicator model is one facts relation (see rollup_indicator) plus one call:

        indicator as (
            {{ zero_filled_count_indicator('OLY-01', 'regional_entries', 'territories',
                                           numerator='is_prize_winner::integer',
                                           breakdowns=[['breakdown_key'], []]) }}
        )

    `numerator`: the expression counted (summed) over a row of facts; default its column
        numerator.
    `territories`: (year, territory_level, territory_code), the territories with any row of
        the indicator's source in that year; only the rows of `levels` are used.
    `breakdowns`: the breakdown sets the indicator publishes, each a list of breakdown columns
        (rollup_to_territories dims); [] is the total row (every breakdown column NULL).
        Every territory publishes, per year, a row for
          * [] : the total row, whenever the territory has a row in that year;
          * a non-empty set whose columns are all in `values`: every combination of the
            fixed values of `values` (e.g. {'breakdown_key': ['СПО', 'ВО']});
          * any other set: every combination of those columns found in `facts` in the region
            that year.
    `frame`: instead of the breakdown frame derived from `breakdowns`, a CTE of
        (year, exam, subject_code, participant_category, grade, breakdown_key) rows every
        territory publishes in that year (NULL = column unused).
    `lineage`: as in rollup_indicator (facts carry load_id; the model is in var
        lineage_indicators): the counted rows are also returned per contributing load (column
        load_id, NULL on the published rows; only loads with a count > 0; a published 0 has
        none).
    Returns the columns of indicator_columns(); value = numerator = the count or 0,
    denominator NULL[; load_id].
#}
{% macro zero_filled_count_indicator(
    indicator_code, facts, territories, breakdowns=[[]], values={}, frame=none,
    levels=['region', 'municipality', 'school'], numerator='numerator', lineage=false
) %}
    {%- set columns = indicator_breakdown_columns() -%}
    {%- for dims in breakdowns -%}
        {%- for dim in dims if dim not in columns -%}
            {{ exceptions.raise_compiler_error(
                "zero_filled_count_indicator: unknown breakdown " ~ dim
            ) }}
        {%- endfor -%}
        {%- set n_fixed = dims | select('in', values) | list | length -%}
        {%- if n_fixed > 0 and n_fixed < dims | length -%}
            {{ exceptions.raise_compiler_error(
                "zero_filled_count_indicator: breakdown set " ~ dims
                ~ " mixes fixed values and values from facts"
            ) }}
        {%- endif -%}
    {%- endfor %}
    with

    counted as (
        {%- for dims in breakdowns %}
        {% if not loop.first %}union all{% endif %}
        {{ rollup_indicator(
            indicator_code, facts, 'count', dims=dims, levels=levels, numerator=numerator,
            lineage=lineage
        ) }}
        {%- endfor %}
    ),
    {%- if lineage %}

    counted_rows as (
        select {{ indicator_columns() | join(', ') }}
        from counted
        where load_id is null
    ),
    {%- endif %}

    frame_territories as (
        select
            year,
            territory_level,
            territory_code
        from {{ territories }}
        where territory_level in ('{{ levels | join("', '") }}')
    ),

    frame_breakdowns as (
        {%- if frame is not none %}
        select
            year,
            exam,
            subject_code,
            participant_category,
            grade,
            breakdown_key
        from {{ frame }}
        {%- else %}
        {%- for dims in breakdowns %}
        {%- set fixed = dims | length > 0 and dims | reject('in', values) | list | length == 0 %}
        {%- set from_territories = fixed or dims | length == 0 %}
        {%- set select_list = [] %}
        {%- for column in [
            'exam', 'subject_code', 'participant_category', 'grade', 'breakdown_key'
        ] %}
            {%- if column not in dims %}
                {%- do select_list.append('null::' ~ columns.get(column, 'text') ~ ' as ' ~ column) %}
            {%- elif fixed %}
                {%- do select_list.append('fixed_' ~ column ~ '.' ~ column) %}
            {%- else %}
                {%- do select_list.append(column) %}
            {%- endif %}
        {%- endfor %}
        {% if not loop.first %}union{% endif %}
        select distinct
            {% if from_territories %}frame_territories.{% endif %}year,
            {{ select_list | join(',\n            ') }}
        {%- if from_territories %}
        from frame_territories
        {%- for column in dims %}
        cross join (
            values
            {%- for value in values[column] %}
            ({{ "'" ~ value ~ "'" if value is string else value }}){% if not loop.last %},{% endif %}
            {%- endfor %}
        ) as fixed_{{ column }} ({{ column }})
        {%- endfor %}
        {%- else %}
        from {{ facts }}
        {%- endif %}
        {%- endfor %}
        {%- endif %}
    ),

    zero_filled as (
        {{ zero_filled_counts(
            indicator_code, 'counted_rows' if lineage else 'counted', 'frame_territories',
            'frame_breakdowns'
        ) }}
    )

    {%- if lineage %}
    select
        zero_filled.*,
        null::bigint as load_id
    from zero_filled
    union all
    select
        {{ indicator_columns() | join(', ') }},
        load_id
    from counted
    where load_id is not null
    {%- else %}
    select * from zero_filled
    {%- endif %}
{% endmacro %}


{#
    The frame territories × breakdowns of zero_filled_count_indicator, filled from `counted`.

    `counted`: rows of a count indicator (rollup_indicator(..., 'count', ...)).
    `territories`: (year, territory_level, territory_code), the territories with any row of
        the indicator's source in that year (the levels the indicator publishes only).
    `breakdowns`: (year, exam, subject_code, participant_category, grade, breakdown_key), the
        breakdown rows every such territory publishes in that year (NULL = column unused).
    Returns the columns of indicator_columns(): the frame territories × breakdowns of the same
    year, plus any row of `counted` outside it, with value = numerator = the count or 0 and
    denominator NULL.
#}
{% macro zero_filled_counts(indicator_code, counted, territories, breakdowns) %}
    select
        '{{ indicator_code }}'::text as indicator_code,
        frame.year,
        frame.territory_level,
        frame.territory_code,
        frame.exam,
        frame.subject_code,
        frame.participant_category,
        frame.grade,
        frame.breakdown_key,
        coalesce({{ counted }}.numerator, 0)::numeric as numerator,
        null::numeric as denominator,
        coalesce({{ counted }}.numerator, 0)::numeric as value
    from (
        select
            {{ territories }}.year,
            {{ territories }}.territory_level,
            {{ territories }}.territory_code,
            {{ breakdowns }}.exam,
            {{ breakdowns }}.subject_code,
            {{ breakdowns }}.participant_category,
            {{ breakdowns }}.grade,
            {{ breakdowns }}.breakdown_key
        from {{ territories }}
        inner join {{ breakdowns }}
            on {{ territories }}.year = {{ breakdowns }}.year
        union
        select {{ indicator_key_columns() | join(', ') }}
        from {{ counted }}
    ) as frame
    left join {{ counted }}
        on
            frame.year = {{ counted }}.year
            and frame.territory_level = {{ counted }}.territory_level
            and frame.territory_code = {{ counted }}.territory_code
            and frame.exam is not distinct from {{ counted }}.exam
            and frame.subject_code is not distinct from {{ counted }}.subject_code
            and frame.participant_category is not distinct from {{ counted }}.participant_category
            and frame.grade is not distinct from {{ counted }}.grade
            and frame.breakdown_key is not distinct from {{ counted }}.breakdown_key
{% endmacro %}
