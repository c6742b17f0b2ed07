{#
    Counts published as 0 (indicators.md, Conventions: "Counts ... are published as 0 for every
    territory of the level that has any row of that source in that year").

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
        select
            year,
            territory_level,
            territory_code,
            exam,
            subject_code,
            participant_category,
            grade,
            breakdown_key
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
